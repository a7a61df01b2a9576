package io.stickyring.membership.zk;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipAdmin;
import io.stickyring.membership.MembershipException;
import io.stickyring.membership.NoSuchMemberException;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Operator changes to members stored in ZooKeeper (state and weight), for the LB's
 * {@code POST /members/ID/state}, {@code /weight} and {@code /drain}.
 *
 * <p>Invariant: the change is one versioned setData on the member's own znode (compare-and-set on
 * its data version, retried on a race), so every watcher sees a state change in place, and fields
 * this code does not know are kept. The member's {@link ZkMemberRegistration} adopts the new state
 * and weight and keeps them across re-registrations.
 */
public final class ZkMembershipAdmin implements MembershipAdmin {

    private static final int MAX_CAS_ATTEMPTS = 10;

    private final CuratorFramework client;
    private final String cluster;

    public ZkMembershipAdmin(CuratorFramework client, String cluster) {
        this.client = Objects.requireNonNull(client, "client");
        this.cluster = ZkSettings.validateCluster(cluster);
    }

    @Override
    public Member setState(String id, MemberState newState) {
        Objects.requireNonNull(newState, "state");
        return edit(id, newState.name(), m -> m.withState(newState), json -> json.put("state", newState.name()));
    }

    @Override
    public Member setWeight(String id, int weight) {
        if (weight < 1) {
            throw new IllegalArgumentException("weight (" + weight + ") of member '" + id + "' must be >= 1");
        }
        return edit(id, "weight " + weight, m -> m.withWeight(weight), json -> json.put("weight", weight));
    }

    /**
     * One compare-and-set edit of member {@code id}'s payload: {@code change} gives the member as it
     * should be, {@code write} applies the same change to the stored JSON (other fields kept).
     */
    private Member edit(String id, String what, UnaryOperator<Member> change, Consumer<ObjectNode> write) {
        String path = ZkSettings.memberPath(cluster, id);
        try {
            for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
                Stat stat = new Stat();
                byte[] data;
                try {
                    data = client.getData().storingStatIn(stat).forPath(path);
                } catch (KeeperException.NoNodeException e) {
                    throw new NoSuchMemberException(id, "cluster '" + cluster + "' (" + path + ")");
                }
                MemberPayload stored;
                ObjectNode json;
                try {
                    stored = MemberPayload.decode(id, data);
                    json = MemberPayload.parseObject(data);
                } catch (MemberPayload.BadPayloadException e) {
                    throw new MembershipException("member '" + id + "' at " + path + " has an unreadable payload (" + e.getMessage()
                            + "); fix or delete the znode");
                }
                Member changed = change.apply(stored.member());
                if (changed.equals(stored.member())) {
                    return changed;
                }
                write.accept(json);
                try {
                    client.setData().withVersion(stat.getVersion()).forPath(path, MemberPayload.toBytes(json));
                    return changed;
                } catch (KeeperException.BadVersionException raced) {
                    // The member or another operator wrote at the same time: read again.
                } catch (KeeperException.NoNodeException gone) {
                    throw new NoSuchMemberException(id, "cluster '" + cluster + "' (" + path + ")");
                }
            }
            throw new MembershipException("could not set member '" + id + "' to " + what + " after " + MAX_CAS_ATTEMPTS
                    + " concurrent modifications");
        } catch (NoSuchMemberException | MembershipException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MembershipException("interrupted while setting member '" + id + "' to " + what, e);
        } catch (Exception e) {
            throw new MembershipException("cannot set member '" + id + "' to " + what + " in ZooKeeper: " + e, e);
        }
    }
}
