package io.stickyring.lb.source;

import io.stickyring.lb.config.LbConfig;
import io.stickyring.membership.MembershipAdmin;
import io.stickyring.membership.MembershipSource;
import io.stickyring.membership.StaticMembershipSource;
import io.stickyring.membership.zk.ZkMembershipAdmin;
import io.stickyring.membership.zk.ZkMembershipWatcher;
import io.stickyring.membership.zk.ZkSettings;
import java.util.Objects;
import org.apache.curator.framework.CuratorFramework;

/**
 * The LB's membership: where views come from ({@link MembershipSource}), where drains go
 * ({@link MembershipAdmin}), and what to close afterwards (the ZooKeeper client, if any).
 *
 * <p>Invariant: {@link #close()} closes the source before the client it reads through.
 */
public record Membership(MembershipSource source, MembershipAdmin admin, AutoCloseable client) implements AutoCloseable {

    public Membership {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(admin, "admin");
    }

    /** Static backends ({@code --backend}) or ZooKeeper ({@code --zk}, {@code --cluster}), per the config. */
    public static Membership of(LbConfig config) {
        if (!config.usesZooKeeper()) {
            StaticMembershipSource s = new StaticMembershipSource(config.backends());
            return new Membership(s, s, null);
        }
        return zooKeeper(ZkSettings.of(config.zk(), config.cluster()));
    }

    /** Watches and administers {@code settings.cluster()} through one new Curator client. */
    public static Membership zooKeeper(ZkSettings settings) {
        CuratorFramework client = settings.newClient();
        client.start();
        return new Membership(new ZkMembershipWatcher(client, settings.cluster()),
                new ZkMembershipAdmin(client, settings.cluster()), client);
    }

    @Override
    public void close() {
        source.close();
        if (client != null) {
            try {
                client.close();
            } catch (Exception e) {
                // closing a Curator client does not fail in practice; nothing useful to do here
            }
        }
    }
}
