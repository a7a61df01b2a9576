package io.stickyring.chat.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned schema migrations of the PostgreSQL store, applied at start. Each migration runs in
 * its own transaction together with the row recording its version in {@code schema_migrations},
 * so a crash leaves the schema at some whole version. A session advisory lock keyed by the schema
 * name serialises nodes starting at the same time: exactly one applies, the others then see the
 * versions recorded and skip them. Migrations are append-only: never edit a released one.
 */
final class PostgresMigrations {
    private static final Logger log = LoggerFactory.getLogger(PostgresMigrations.class);

    record Migration(int version, String description, List<String> statements) { }

    static final List<Migration> ALL = List.of(
        new Migration(1, "conversations, members, messages, per-user inbox and inbox heads", List.of(
            // head = the conversation's last seq; the row is the lock that orders seq allocation.
            "CREATE TABLE conversations (id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL,"
                + " created_by TEXT NOT NULL, created_at BIGINT NOT NULL, head BIGINT NOT NULL DEFAULT 0)",
            "CREATE TABLE members (conv TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (conv, user_id))",
            "CREATE TABLE messages (conv TEXT NOT NULL, seq BIGINT NOT NULL, sender TEXT NOT NULL,"
                + " client_id TEXT NOT NULL, body TEXT NOT NULL, ts BIGINT NOT NULL, PRIMARY KEY (conv, seq),"
                + " CONSTRAINT messages_sender_client_id UNIQUE (sender, client_id))",
            // head = the user's last inbox cursor; the row is the lock that keeps cursors contiguous.
            "CREATE TABLE inbox_heads (user_id TEXT PRIMARY KEY, head BIGINT NOT NULL)",
            "CREATE TABLE inbox (user_id TEXT NOT NULL, cursor BIGINT NOT NULL, conv TEXT NOT NULL,"
                + " seq BIGINT NOT NULL, PRIMARY KEY (user_id, cursor))")),
        new Migration(2, "read marks and the members-by-user index", List.of(
            "CREATE TABLE reads (conv TEXT NOT NULL, user_id TEXT NOT NULL, seq BIGINT NOT NULL,"
                + " PRIMARY KEY (conv, user_id))",
            "CREATE INDEX members_by_user ON members (user_id, conv)")));

    private PostgresMigrations() {
    }

    /** Brings {@code schema} to the latest version; returns the version it was at before. */
    static int migrate(Connection c, String schema) throws SQLException {
        return migrate(c, schema, ALL);
    }

    static int migrate(Connection c, String schema, List<Migration> migrations) throws SQLException {
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            st.execute("SELECT pg_advisory_lock(hashtext('stickyring-migrate:" + schema + "'))");
            try {
                st.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
                st.execute("SET search_path TO " + schema);
                st.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY,"
                        + " description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
                int current;
                try (ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")) {
                    rs.next();
                    current = rs.getInt(1);
                }
                for (Migration m : migrations) {
                    if (m.version() <= current) {
                        continue;
                    }
                    c.setAutoCommit(false);
                    try {
                        for (String sql : m.statements()) {
                            st.execute(sql);
                        }
                        try (PreparedStatement ps = c.prepareStatement(
                                "INSERT INTO schema_migrations (version, description) VALUES (?, ?)")) {
                            ps.setInt(1, m.version());
                            ps.setString(2, m.description());
                            ps.executeUpdate();
                        }
                        c.commit();
                    } catch (SQLException e) {
                        c.rollback();
                        throw new SQLException("migration " + m.version() + " (" + m.description() + ") failed: "
                                + e.getMessage(), e.getSQLState(), e);
                    } finally {
                        c.setAutoCommit(true);
                    }
                    log.info("schema {}: applied migration {} ({})", schema, m.version(), m.description());
                }
                return current;
            } finally {
                st.execute("SELECT pg_advisory_unlock(hashtext('stickyring-migrate:" + schema + "'))");
            }
        }
    }
}
