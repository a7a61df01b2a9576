package io.stickyring.chat.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The machine's shared PostgreSQL (127.0.0.1:5432, trust auth, database {@code test}; override with
 * env {@code STICKYRING_PG_URL}, a {@code postgresql://} spec without query). Every test gets a
 * schema of its own, unique per run, and drops it afterwards, so parallel runs never collide.
 */
public final class PostgresTestSchemas {
    public static final String BASE = System.getenv().getOrDefault("STICKYRING_PG_URL", "postgresql://postgres@127.0.0.1:5432/test");

    private PostgresTestSchemas() {
    }

    /** A fresh schema name (not yet created: the store's migrations create it). */
    public static String newSchema() {
        return "sr_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    /** The store spec for {@code schema} with extra query parameters ("a=b&c=d" or empty). */
    public static String spec(String schema, String extra) {
        return BASE + "?schema=" + schema + "&pool=3" + (extra.isEmpty() ? "" : "&" + extra);
    }

    public static PostgresConfig config(String schema, String extra) {
        return PostgresConfig.parse(spec(schema, extra), 512);
    }

    public static Connection connect() throws SQLException {
        PostgresConfig c = PostgresConfig.parse(BASE, 1);
        return DriverManager.getConnection(c.jdbcUrl(), c.user(), c.password() == null ? "" : c.password());
    }

    public static void drop(String schema) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test schema " + schema + ": " + e.getMessage(), e);
        }
    }
}
