package io.stickyring.membership.zk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ZkSettingsTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        ZkSettings s = ZkSettings.of(ZkSettings.DEFAULT_CONNECT, ZkSettings.DEFAULT_CLUSTER);
        assertThat(s.connectString()).isEqualTo("127.0.0.1:2181");
        assertThat(s.cluster()).isEqualTo("default");
        assertThat(s.sessionTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.connectionTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.retryBaseSleep()).isEqualTo(Duration.ofMillis(200));
        assertThat(s.retryMaxSleep()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.retryMaxAttempts()).isEqualTo(10);
        assertThat(s.hasAuth()).isFalse();
        assertThat(s.membersPath()).isEqualTo("/stickyring/default/members");
    }

    @Test
    void splitsHostsAndChroot() {
        ZkSettings s = ZkSettings.of("a:2181,b:2182/apps/chat/", "c");
        assertThat(s.hosts()).isEqualTo("a:2181,b:2182");
        assertThat(s.chroot()).isEqualTo("apps/chat");
        assertThat(ZkSettings.of("a:1", "c").chroot()).isEmpty();
        assertThat(ZkSettings.of("a:1/", "c").chroot()).isEmpty();
        assertThat(ZkSettings.of("[::1]:2181", "c").hosts()).isEqualTo("[::1]:2181");
    }

    @Test
    void rejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> ZkSettings.of("", "c")).hasMessageContaining("connectString ()");
        assertThatThrownBy(() -> ZkSettings.of("h:1,,h:2", "c")).hasMessageContaining("(h:1,,h:2) has an empty host entry");
        assertThatThrownBy(() -> ZkSettings.of("h:1, h:2", "c")).hasMessageContaining("without spaces");
        assertThatThrownBy(() -> ZkSettings.of("h:1/a//b", "c")).hasMessageContaining("chroot '/a//b'");
        assertThatThrownBy(() -> ZkSettings.of("h:1", "a/b")).hasMessageContaining("cluster (a/b)");
        assertThatThrownBy(() -> ZkSettings.of("h:1", "..")).hasMessageContaining("cluster (..)");
        ZkSettings ok = ZkSettings.of("h:1", "c");
        assertThatThrownBy(() -> ok.withSessionTimeout(Duration.ofMillis(50))).hasMessageContaining("sessionTimeout (50 ms) must be >= 100 ms");
        assertThatThrownBy(() -> ok.withConnectionTimeout(Duration.ZERO)).hasMessageContaining("connectionTimeout (0 ms)");
        assertThatThrownBy(() -> ok.withRetry(Duration.ofMillis(500), Duration.ofMillis(100), 3))
                .hasMessageContaining("retryMaxSleep (100 ms) must be >= retryBaseSleep (500 ms)");
        assertThatThrownBy(() -> ok.withRetry(Duration.ofMillis(5), Duration.ofMillis(100), 30)).hasMessageContaining("retryMaxAttempts (30)");
        assertThatThrownBy(() -> ok.withDigestAuth("nopassword")).hasMessageContaining("user:password");
        assertThatThrownBy(() -> ok.withDigestAuth("u:")).hasMessageContaining("user 'u'");
    }

    @Test
    void neverPrintsThePassword() {
        ZkSettings s = ZkSettings.of("h:1", "c").withDigestAuth("alice:s3cret");
        assertThat(s.toString()).contains("alice:****").doesNotContain("s3cret");
        assertThatThrownBy(() -> ZkSettings.of("h:1", "c").withDigestAuth(":s3cret")).message().doesNotContain("s3cret");
    }

    @Test
    void memberIdsMustBeZnodeNames() {
        assertThat(ZkSettings.memberPath("c", "node-1.a_b")).isEqualTo("/stickyring/c/members/node-1.a_b");
        assertThatThrownBy(() -> ZkSettings.memberPath("c", "a/b")).hasMessageContaining("member id (a/b)");
        assertThatThrownBy(() -> ZkSettings.memberPath("c", "..")).hasMessageContaining("member id (..)");
        assertThatThrownBy(() -> ZkSettings.memberPath("c", "bad\u0001")).hasMessageContaining("cannot be a znode name");
    }
}
