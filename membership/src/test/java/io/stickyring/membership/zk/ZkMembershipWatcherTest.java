package io.stickyring.membership.zk;

import static io.stickyring.membership.zk.ZkHarness.member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipException;
import io.stickyring.membership.MembershipSource;
import io.stickyring.membership.MembershipView;
import io.stickyring.membership.NoSuchMemberException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** The watcher, registration and admin against one real (in-process) ZooKeeper server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZkMembershipWatcherTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String CLUSTER = "c1";
    private static final String MEMBERS = ZkSettings.membersPath(CLUSTER);

    private TestingServer server;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void startServer() throws Exception {
        server = ZkHarness.server();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        server.close();
    }

    private <T extends AutoCloseable> T closeLater(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    private CuratorFramework client() {
        return closeLater(ZkHarness.startedClient(ZkHarness.settings(server.getConnectString(), CLUSTER)));
    }

    private ZkMembershipWatcher watcher(ZkHarness.Recorder recorder) {
        ZkMembershipWatcher watcher = closeLater(new ZkMembershipWatcher(client(), CLUSTER));
        watcher.addListener(recorder);
        watcher.start();
        return watcher;
    }

    private ZkMemberRegistration register(Member member) {
        return register(client(), member);
    }

    private ZkMemberRegistration register(CuratorFramework client, Member member) {
        ZkMemberRegistration registration = closeLater(new ZkMemberRegistration(client, CLUSTER, member, Duration.ZERO));
        registration.start();
        return registration;
    }

    /** A bare ZooKeeper handle with no Curator recovery: once its session is killed it stays dead, like a crashed process. */
    private ZooKeeper rawSession() throws Exception {
        ZooKeeper zk = new ZooKeeper(server.getConnectString(), (int) ZkHarness.SESSION.toMillis(), event -> { });
        closeLater(zk::close);
        await().atMost(WAIT).until(() -> zk.getState().isConnected());
        return zk;
    }

    /** The views a recorder got from its current last one on (the baseline for "never leaves" checks). */
    private static List<MembershipView> from(ZkHarness.Recorder r, int index) {
        return r.views.subList(index, r.views.size());
    }

    private static List<String> ids(MembershipView view) {
        return view.members().stream().map(Member::id).toList();
    }

    @Test
    void registeredMemberAppearsInTwoIndependentWatchersWithTheSameVersion() {
        ZkHarness.Recorder a = new ZkHarness.Recorder();
        ZkHarness.Recorder b = new ZkHarness.Recorder();
        ZkMembershipWatcher wa = watcher(a);
        ZkMembershipWatcher wb = watcher(b);

        register(member("n1", 9001));
        register(member("n2", 9002));

        await().atMost(WAIT).until(() -> a.lastIds().equals(List.of("n1", "n2")) && b.lastIds().equals(List.of("n1", "n2")));
        MembershipView va = wa.current().orElseThrow();
        MembershipView vb = wb.current().orElseThrow();
        assertThat(va).isEqualTo(vb);
        assertThat(va.version()).isPositive();
        assertThat(va.stale()).isFalse();
        assertThat(va.member("n1").orElseThrow().address()).isEqualTo("127.0.0.1:9001");
        assertThat(va.member("n1").orElseThrow().zone()).isEqualTo("z1");
        for (ZkHarness.Recorder r : List.of(a, b)) {
            assertThat(r.views).extracting(MembershipView::version).isSorted();
        }
    }

    @Test
    void publishesNothingBeforeTheInitialLoadSoTheFirstViewHoldsEveryExistingMember() throws Exception {
        for (int i = 1; i <= 6; i++) {
            register(member("n" + i, 9000 + i));
        }
        ZkHarness.Recorder recorder = new ZkHarness.Recorder();
        ZkMembershipWatcher watcher = closeLater(new ZkMembershipWatcher(client(), CLUSTER));
        watcher.addListener(recorder);
        assertThat(watcher.current()).isEmpty();
        watcher.start();

        assertThat(watcher.awaitFirstView(WAIT)).isPresent();
        await().atMost(WAIT).until(() -> !recorder.views.isEmpty());
        assertThat(ids(recorder.views.get(0))).containsExactly("n1", "n2", "n3", "n4", "n5", "n6");
    }

    @Test
    void versionIsTheSameFunctionOfTheZnodesOnEveryWatcherAndGrowsWithEveryChange() throws Exception {
        ZkHarness.Recorder a = new ZkHarness.Recorder();
        ZkMembershipWatcher wa = watcher(a);
        ZkMemberRegistration n1 = register(member("n1", 9001));
        await().atMost(WAIT).until(() -> a.lastIds().equals(List.of("n1")));
        long afterJoin = wa.current().orElseThrow().version();

        n1.setState(MemberState.DRAINING);
        await().atMost(WAIT).until(() -> a.last().members().get(0).state() == MemberState.DRAINING);
        long afterDrain = wa.current().orElseThrow().version();
        n1.close();
        await().atMost(WAIT).until(() -> a.lastIds().isEmpty());
        long afterLeave = wa.current().orElseThrow().version();
        assertThat(afterJoin).isLessThan(afterDrain).isLessThan(afterLeave);

        // A watcher started later, from scratch, computes exactly the same version for the same znodes.
        ZkHarness.Recorder b = new ZkHarness.Recorder();
        ZkMembershipWatcher wb = watcher(b);
        assertThat(wb.awaitFirstView(WAIT).orElseThrow()).isEqualTo(wa.current().orElseThrow());
        // And it is the zxid of the last change: max(parent pzxid, children's mzxid).
        Stat parent = client().checkExists().forPath(MEMBERS);
        assertThat(afterLeave).isEqualTo(parent.getPzxid());
    }

    @Test
    void killedSessionRemovesOnlyThatMemberFromEveryViewWithinTheSessionTimeout() throws Exception {
        ZkHarness.Recorder a = new ZkHarness.Recorder();
        ZkHarness.Recorder b = new ZkHarness.Recorder();
        watcher(a);
        watcher(b);
        register(member("n1", 9001));
        register(member("n3", 9003));
        ZooKeeper crashed = rawSession();
        crashed.create(ZkSettings.memberPath(CLUSTER, "n2"), new MemberPayload(member("n2", 9002), "other").encode(),
                ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        await().atMost(WAIT).until(() -> a.lastIds().equals(List.of("n1", "n2", "n3")) && b.lastIds().equals(List.of("n1", "n2", "n3")));
        int baseA = a.views.size() - 1;
        int baseB = b.views.size() - 1;

        long killedAt = System.nanoTime();
        KillSession.kill(crashed);
        // The server expires the session after its timeout (rounded up to a tick); allow 1 s for a loaded machine.
        await().atMost(ZkHarness.SESSION.plusSeconds(1))
                .until(() -> a.lastIds().equals(List.of("n1", "n3")) && b.lastIds().equals(List.of("n1", "n3")));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        assertThat(tookMillis).as("removal after kill").isGreaterThan(0);

        for (List<MembershipView> views : List.of(from(a, baseA), from(b, baseB))) {
            assertThat(views).allSatisfy(v -> assertThat(ids(v)).contains("n1", "n3"));
            assertThat(views.get(views.size() - 1).version()).isGreaterThan(views.get(0).version());
        }
    }

    @Test
    void registrationWhoseSessionIsKilledReRegistersInANewSession() throws Exception {
        ZkHarness.Recorder a = new ZkHarness.Recorder();
        watcher(a);
        register(member("n1", 9001));
        CuratorFramework n2Client = client();
        ZkMemberRegistration n2 = register(n2Client, member("n2", 9002));
        await().atMost(WAIT).until(() -> a.lastIds().equals(List.of("n1", "n2")));
        int base = a.views.size() - 1;
        long oldSession = n2Client.getZookeeperClient().getZooKeeper().getSessionId();

        KillSession.kill(n2Client.getZookeeperClient().getZooKeeper());

        await().atMost(WAIT).until(() -> n2.reRegistrations() == 1);
        Stat stat = client().checkExists().forPath(n2.path());
        long newSession = n2Client.getZookeeperClient().getZooKeeper().getSessionId();
        assertThat(newSession).isNotEqualTo(oldSession);
        assertThat(stat.getEphemeralOwner()).isEqualTo(newSession);
        // The old session's expiry must not delete the re-created znode: wait past it, then check again.
        await().atMost(WAIT).until(() -> a.views.stream().anyMatch(v -> v.version() >= stat.getMzxid()));
        await().pollDelay(ZkHarness.SESSION.plusMillis(500)).atMost(WAIT).until(() -> true);
        assertThat(client().checkExists().forPath(n2.path()).getEphemeralOwner()).isEqualTo(newSession);
        // n1 never leaves. Whether n2 is briefly absent depends on whether the killed session's znode was still there
        // when n2 came back (then it is replaced atomically) or Curator's close of the dead handle reached the server first.
        assertThat(from(a, base)).allSatisfy(v -> assertThat(ids(v)).contains("n1"));
        assertThat(a.lastIds()).containsExactly("n1", "n2");
        assertThat(a.last().version()).isGreaterThan(a.views.get(base).version());
        assertThat(n2.isRegistered()).isTrue();
    }

    @Test
    void corruptPayloadsAreLeftOutCountedOnceAndNeverStopTheWatcher() throws Exception {
        CuratorFramework raw = client();
        raw.create().creatingParentsIfNeeded().forPath(MEMBERS);
        raw.create().forPath(MEMBERS + "/notjson", "{this is not json".getBytes(StandardCharsets.UTF_8));
        raw.create().forPath(MEMBERS + "/noport", "{\"id\":\"noport\",\"host\":\"h\",\"weight\":1,\"state\":\"ACTIVE\"}".getBytes(StandardCharsets.UTF_8));
        raw.create().forPath(MEMBERS + "/negweight",
                "{\"id\":\"negweight\",\"host\":\"h\",\"port\":9,\"weight\":-1,\"state\":\"ACTIVE\"}".getBytes(StandardCharsets.UTF_8));
        // Over ZooKeeper's default 1 MB client buffer and far over MemberPayload.MAX_BYTES; 10 MB used to
        // outlast the test session on a loaded machine (SessionExpired on the create).
        byte[] garbage = new byte[2 * 1024 * 1024];
        new Random(42).nextBytes(garbage);
        try {
            raw.create().forPath(MEMBERS + "/huge", garbage);
        } catch (KeeperException.NodeExistsException e) {
            // Writing 2 MB can outlast the short test session's read timeout; Curator's retry then finds it written.
        }
        assertThat(raw.checkExists().forPath(MEMBERS + "/huge").getDataLength()).isEqualTo(garbage.length);
        register(member("good", 9001));

        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(ZkMembershipWatcher.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        log.addAppender(logged);
        closeLater(() -> log.detachAppender(logged));

        ZkHarness.Recorder a = new ZkHarness.Recorder();
        ZkMembershipWatcher watcher = watcher(a);
        await().atMost(WAIT).until(() -> a.lastIds().equals(List.of("good")));
        assertThat(watcher.badPayloads()).isEqualTo(4);
        MembershipSource asSource = watcher;
        assertThat(asSource.badPayloads()).isEqualTo(4);
        assertThat(watcher.badMembers()).containsOnlyKeys("notjson", "noport", "negweight", "huge");
        assertThat(watcher.badMembers().get("noport")).contains("missing field 'port'");
        assertThat(watcher.badMembers().get("negweight")).contains("weight (-1)");
        assertThat(watcher.badMembers().get("notjson")).contains("not JSON");
        assertThat(watcher.badMembers().get("huge")).contains("2097152 bytes exceeds the limit");

        // Further events rebuild the view but count the same bad znodes only once.
        register(member("good2", 9002));
        await().atMost(WAIT).until(() -> a.lastIds().equals(List.of("good", "good2")));
        assertThat(watcher.badPayloads()).isEqualTo(4);
        // Logged once each, at WARN, naming the path.
        for (String name : List.of("notjson", "noport", "negweight", "huge")) {
            assertThat(logged.list).filteredOn(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains(MEMBERS + "/" + name + " "))
                    .hasSize(1);
        }

        // A new bad version of a znode counts again; a repaired one joins the view.
        raw.setData().forPath(MEMBERS + "/notjson", "[1,2]".getBytes(StandardCharsets.UTF_8));
        raw.setData().forPath(MEMBERS + "/noport", new MemberPayload(member("noport", 9003), "x").encode());
        await().atMost(WAIT).until(() -> a.lastIds().equals(List.of("good", "good2", "noport")));
        assertThat(watcher.badPayloads()).isEqualTo(5);
        assertThat(watcher.badMembers()).containsOnlyKeys("notjson", "negweight", "huge");
        assertThat(a.views).allSatisfy(v -> assertThat(ids(v)).contains("good"));
        assertThat(watcher.rebuildFailures()).isZero();
    }

    @Test
    void drainIsSeenAsAStateChangeInPlaceAndSurvivesReRegistration() throws Exception {
        ZkHarness.Recorder a = new ZkHarness.Recorder();
        ZkHarness.Recorder b = new ZkHarness.Recorder();
        watcher(a);
        watcher(b);
        CuratorFramework n1Client = client();
        ZkMemberRegistration n1 = register(n1Client, member("n1", 9001));
        register(member("n2", 9002));
        await().atMost(WAIT).until(() -> a.lastIds().equals(List.of("n1", "n2")) && b.lastIds().equals(List.of("n1", "n2")));
        Member before = a.last().member("n1").orElseThrow();
        int baseA = a.views.size() - 1;
        int baseB = b.views.size() - 1;

        ZkMembershipAdmin admin = new ZkMembershipAdmin(client(), CLUSTER);
        Member drained = admin.drain("n1");
        assertThat(drained.state()).isEqualTo(MemberState.DRAINING);

        for (ZkHarness.Recorder r : List.of(a, b)) {
            await().atMost(WAIT).until(() -> r.last().member("n1").map(Member::state).orElse(null) == MemberState.DRAINING);
            // Never a leave and join: n1 is in every view, and the only difference is its state.
            assertThat(from(r, r == a ? baseA : baseB)).allSatisfy(v -> assertThat(ids(v)).containsExactly("n1", "n2"));
            assertThat(r.last().member("n1").orElseThrow()).isEqualTo(before.withState(MemberState.DRAINING));
        }
        await().atMost(WAIT).until(() -> n1.member().state() == MemberState.DRAINING);

        // A new session re-registers n1 DRAINING, not ACTIVE.
        KillSession.kill(n1Client.getZookeeperClient().getZooKeeper());
        await().atMost(WAIT).until(() -> n1.reRegistrations() == 1);
        await().atMost(WAIT).until(() -> a.last().version() >= client().checkExists().forPath(n1.path()).getMzxid());
        assertThat(a.last().member("n1").orElseThrow().state()).isEqualTo(MemberState.DRAINING);
        assertThat(MemberPayload.decode("n1", client().getData().forPath(n1.path())).member().state()).isEqualTo(MemberState.DRAINING);

        // Only the node itself flips it back.
        assertThat(n1.setState(MemberState.ACTIVE)).isTrue();
        await().atMost(WAIT).until(() -> a.last().member("n1").orElseThrow().state() == MemberState.ACTIVE
                && b.last().member("n1").orElseThrow().state() == MemberState.ACTIVE);
        assertThat(from(a, baseA)).allSatisfy(v -> assertThat(ids(v)).contains("n2"));
        assertThat(a.views).extracting(MembershipView::version).isSorted();
    }

    @Test
    void anOperatorsWeightIsAChangeInPlaceAndSurvivesReRegistration() throws Exception {
        ZkHarness.Recorder a = new ZkHarness.Recorder();
        watcher(a);
        CuratorFramework n1Client = client();
        ZkMemberRegistration n1 = register(n1Client, member("n1", 9001));
        await().atMost(WAIT).until(() -> a.lastIds().equals(List.of("n1")));
        Member weighted = new ZkMembershipAdmin(client(), CLUSTER).setWeight("n1", 5);
        assertThat(weighted.weight()).isEqualTo(5);
        await().atMost(WAIT).until(() -> a.last().member("n1").orElseThrow().weight() == 5);
        await().atMost(WAIT).until(() -> n1.member().weight() == 5);
        assertThatThrownBy(() -> new ZkMembershipAdmin(client(), CLUSTER).setWeight("n1", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight (0)");

        // A new session re-registers n1 with the operator's weight, not its configured one.
        KillSession.kill(n1Client.getZookeeperClient().getZooKeeper());
        await().atMost(WAIT).until(() -> n1.reRegistrations() == 1);
        assertThat(MemberPayload.decode("n1", client().getData().forPath(n1.path())).member().weight()).isEqualTo(5);
    }

    @Test
    void adminNamesUnknownAndUnreadableMembers() throws Exception {
        CuratorFramework raw = client();
        raw.create().creatingParentsIfNeeded().forPath(MEMBERS + "/broken", "nope".getBytes(StandardCharsets.UTF_8));
        ZkMembershipAdmin admin = new ZkMembershipAdmin(raw, CLUSTER);
        assertThatThrownBy(() -> admin.drain("ghost")).isInstanceOf(NoSuchMemberException.class)
                .hasMessageContaining("'ghost'").hasMessageContaining("cluster 'c1'");
        assertThatThrownBy(() -> admin.drain("broken")).isInstanceOf(MembershipException.class)
                .hasMessageContaining("'broken'").hasMessageContaining("unreadable payload");
        assertThatThrownBy(() -> admin.drain("a/b")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a/b");
    }

    @Test
    void refusesToStartWhenAnotherLiveProcessHoldsTheId() throws Exception {
        ZkMemberRegistration first = register(member("n1", 9001));
        ZkMemberRegistration second = new ZkMemberRegistration(client(), CLUSTER, member("n1", 9555), Duration.ofMillis(300));
        closeLater(second);

        assertThatThrownBy(second::start).isInstanceOf(MemberConflictException.class)
                .hasMessageContaining("member id 'n1'")
                .hasMessageContaining("127.0.0.1:9001")
                .satisfies(e -> assertThat(((MemberConflictException) e).otherAddress()).isEqualTo("127.0.0.1:9001"));
        assertThat(second.isRegistered()).isFalse();
        // The first one is untouched.
        assertThat(MemberPayload.decode("n1", client().getData().forPath(first.path())).instance()).isEqualTo(first.instanceId());

        first.close();
        assertThat(client().checkExists().forPath(first.path())).isNull();
        ZkMemberRegistration third = register(member("n1", 9555));
        assertThat(third.isRegistered()).isTrue();
    }

    @Test
    void waitsForACrashedPredecessorsZnodeToExpireInsteadOfRefusing() throws Exception {
        client().create().creatingParentsIfNeeded().forPath(MEMBERS);
        ZooKeeper crashed = rawSession();
        crashed.create(ZkSettings.memberPath(CLUSTER, "n1"), new MemberPayload(member("n1", 9001), "previous-process").encode(),
                ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        KillSession.kill(crashed);

        ZkMemberRegistration next = closeLater(new ZkMemberRegistration(client(), CLUSTER, member("n1", 9001), WAIT));
        next.start();

        assertThat(next.isRegistered()).isTrue();
        assertThat(MemberPayload.decode("n1", client().getData().forPath(next.path())).instance()).isEqualTo(next.instanceId());
    }

    @Test
    void lifecycleIsGuarded() {
        ZkMemberRegistration registration = register(member("n1", 9001));
        assertThatThrownBy(registration::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("STARTED");
        registration.close();
        registration.close();
        assertThatThrownBy(registration::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("STOPPED");

        ZkMembershipWatcher watcher = watcher(new ZkHarness.Recorder());
        assertThatThrownBy(watcher::start).isInstanceOf(IllegalStateException.class);
        watcher.close();
        watcher.close();
    }

    @Test
    void serverStopAndRestartKeepsStaleViewsThenResyncsAndMembersReRegister() throws Exception {
        ZkHarness.Recorder a = new ZkHarness.Recorder();
        ZkHarness.Recorder b = new ZkHarness.Recorder();
        ZkMembershipWatcher wa = watcher(a);
        ZkMembershipWatcher wb = watcher(b);
        CuratorFramework n1Client = client();
        List<ConnectionState> n1States = new CopyOnWriteArrayList<>();
        n1Client.getConnectionStateListenable().addListener((c, s) -> n1States.add(s));
        ZkMemberRegistration n1 = register(n1Client, member("n1", 9001));
        ZkMemberRegistration n2 = register(member("n2", 9002));
        await().atMost(WAIT).until(() -> a.lastIds().equals(List.of("n1", "n2")) && b.lastIds().equals(List.of("n1", "n2")));
        MembershipView before = wa.current().orElseThrow();
        int baseA = a.views.size() - 1;
        int baseB = b.views.size() - 1;

        server.stop();
        await().atMost(WAIT).until(() -> wa.current().orElseThrow().stale() && wb.current().orElseThrow().stale());
        for (ZkMembershipWatcher w : List.of(wa, wb)) {
            MembershipView stale = w.current().orElseThrow();
            assertThat(stale.members()).isEqualTo(before.members());
            assertThat(stale.version()).isEqualTo(before.version());
            assertThat(stale.staleSinceMillis()).isPositive();
        }
        // Stay down past the session timeout so every client loses its session, then come back.
        await().atMost(WAIT).until(() -> n1States.contains(ConnectionState.LOST));
        assertThat(wa.current().orElseThrow().members()).isEqualTo(before.members());
        server.restart();

        await().atMost(WAIT).until(() -> n1.reRegistrations() >= 1 && n2.reRegistrations() >= 1);
        await().atMost(WAIT).until(() -> !wa.current().orElseThrow().stale() && !wb.current().orElseThrow().stale()
                && a.lastIds().equals(List.of("n1", "n2")) && b.lastIds().equals(List.of("n1", "n2")));
        for (ZkMemberRegistration r : List.of(n1, n2)) {
            await().atMost(WAIT).until(() -> client().checkExists().forPath(r.path()) != null);
        }
        for (List<MembershipView> views : List.of(from(a, baseA), from(b, baseB))) {
            assertThat(views).noneMatch(v -> v.members().isEmpty());
            assertThat(views).anyMatch(MembershipView::stale);
            assertThat(views).extracting(MembershipView::version).isSorted();
        }
    }

    @Test
    void publishedViewsAreImmutable() {
        ZkHarness.Recorder a = new ZkHarness.Recorder();
        watcher(a);
        register(member("n1", 9001));
        await().atMost(WAIT).until(() -> a.lastIds().equals(List.of("n1")));
        assertThatThrownBy(() -> a.last().members().clear()).isInstanceOf(UnsupportedOperationException.class);
    }
}
