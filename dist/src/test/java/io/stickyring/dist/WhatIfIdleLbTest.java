package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.cli.HostPort;
import io.stickyring.lb.LoadBalancer;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.source.Membership;
import io.stickyring.membership.Member;
import io.stickyring.sim.SimMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * Issue 16: {@code sim whatif} against a real, idle LB (no client connection ever made) predicts
 * the members' shares from {@code /members} instead of failing on the empty {@code /connections}
 * export. ring-sim's own WhatIfTest uses a stand-in server; this one asks the LB itself.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WhatIfIdleLbTest {

    @Test
    void whatIfOnAnIdleLbPredictsSharesFromItsMembers() throws Exception {
        List<ServerSocket> backends = new ArrayList<>();
        try {
            List<Member> members = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                backends.add(s);
                members.add(Member.of("m00" + i, "127.0.0.1", s.getLocalPort()));
            }
            LbConfig.Builder b = LbConfig.builder().listen(new HostPort("127.0.0.1", 0)).admin(new HostPort("127.0.0.1", 0))
                    .backends(members);
            b.algorithm = "rendezvous";
            b.ioThreads = 1;
            b.acceptThreads = 1;
            b.shutdownGrace = Duration.ZERO;
            LbConfig cfg = b.build();
            try (LoadBalancer lb = LoadBalancer.start(cfg, Membership.of(cfg), HashFactories.defaults(),
                    KeyFunctions.of(cfg.keyMode(), cfg.prefixV4(), cfg.prefixV6()))) {
                String admin = "http://127.0.0.1:" + lb.adminAddress().getPort();
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                CommandLine cl = SimMain.commandLine();
                cl.setOut(new PrintWriter(out, true));
                cl.setErr(new PrintWriter(err, true));
                int code = cl.execute("whatif", "--lb", admin, "--add", "m009=127.0.0.1:9009/4");
                assertThat(code).as("stderr: %s", err).isZero();
                // 4 members of weight 1 + m009 of weight 4 under rendezvous: m009 50%, each other 25% -> 12.5%.
                assertThat(out.toString()).contains("live connections: none listed", "share after")
                        .containsPattern("m009 +0\\.00% +50\\.00% +\\+50\\.00 pp")
                        .containsPattern("m000 +25\\.00% +12\\.50%");
            }
        } finally {
            for (ServerSocket s : backends) {
                s.close();
            }
        }
    }
}
