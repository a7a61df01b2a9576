package io.stickyring.lb.support;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.stickyring.lb.LoadBalancer;
import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.source.Membership;
import io.stickyring.membership.Member;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** In-process echo members plus load balancers over a {@link MutableSource}, all on loopback port 0. */
public final class LbHarness implements AutoCloseable {

    public final EventLoopGroup backendGroup = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    public final Map<String, EchoBackend> backends = new LinkedHashMap<>();
    public final List<LoadBalancer> lbs = new ArrayList<>();
    public final List<MutableSource> sources = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    public EchoBackend backend(String id, boolean proxy) throws InterruptedException {
        EchoBackend b = new EchoBackend(id, backendGroup, proxy);
        backends.put(id, b);
        return b;
    }

    public List<Member> members() {
        return backends.values().stream().map(EchoBackend::member).toList();
    }

    /**
     * True when the suite is pinned to {@code --proxy-engine direct} ({@code -Dstickyring.test.proxyEngine=direct}),
     * where options it does not carry are refused instead of falling back to the channel engine.
     */
    public static boolean directEngine() {
        return "direct".equals(System.getProperty("stickyring.test.proxyEngine"));
    }

    public static LbConfig.Builder config(List<Member> members) {
        LbConfig.Builder b = LbConfig.builder()
                .listen(new HostPort("127.0.0.1", 0)).admin(new HostPort("127.0.0.1", 0)).backends(members);
        b.ioThreads = 2; // --accept-threads left at its default (0): each I/O loop accepts on its own socket
        b.shutdownGrace = java.time.Duration.ZERO;
        // -Dstickyring.test.proxyEngine=channels|direct pins the harness-built LBs' engine (default: auto,
        // the LB's default); lb/pom.xml runs the proxy tests a second time on the channel engine
        b.proxyEngine = io.stickyring.lb.config.ProxyEngine.parse(System.getProperty("stickyring.test.proxyEngine", "auto"));
        return b;
    }

    public LoadBalancer start(Consumer<LbConfig.Builder> tweak) throws Exception {
        LbConfig.Builder b = config(members());
        tweak.accept(b);
        LbConfig cfg = b.build();
        MutableSource src = new MutableSource(cfg.backends());
        LoadBalancer lb = LoadBalancer.start(cfg, new Membership(src, src, null), HashFactories.defaults(),
                KeyFunctions.of(cfg.keyMode(), cfg.prefixV4(), cfg.prefixV6()));
        lbs.add(lb);
        sources.add(src);
        return lb;
    }

    /** A load balancer whose membership comes from ZooKeeper through {@code settings}. */
    public LoadBalancer startZk(io.stickyring.membership.zk.ZkSettings settings, Consumer<LbConfig.Builder> tweak) throws Exception {
        LbConfig.Builder b = config(List.of());
        b.zk = settings.connectString();
        b.cluster = settings.cluster();
        tweak.accept(b);
        LbConfig cfg = b.build();
        LoadBalancer lb = LoadBalancer.start(cfg, Membership.zooKeeper(settings), HashFactories.defaults(),
                KeyFunctions.of(cfg.keyMode(), cfg.prefixV4(), cfg.prefixV6()));
        lbs.add(lb);
        return lb;
    }

    public HttpResponse<String> get(LoadBalancer lb, String pathAndQuery) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.adminAddress().getPort() + pathAndQuery))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(LoadBalancer lb, String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.adminAddress().getPort() + path))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Value of an unlabelled or labelled sample in the Prometheus text, or 0 if absent. */
    public static double metric(String text, String sample) {
        for (String line : text.split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim());
            }
        }
        return 0;
    }

    @Override
    public void close() {
        for (LoadBalancer lb : lbs) {
            lb.close();
        }
        for (EchoBackend b : backends.values()) {
            b.stop();
        }
        backendGroup.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
