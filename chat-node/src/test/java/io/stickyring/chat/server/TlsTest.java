package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** --tls-cert/--tls-key: https and wss work with a PEM certificate and PKCS#8 key. */
@Timeout(60)
class TlsTest {
    @TempDir
    Path dir;

    @Test
    void servesHttpsAndWss() throws Exception {
        // A self-signed certificate for 127.0.0.1, made with the JDK's keytool, exported as PEM.
        Path p12 = dir.resolve("node.p12");
        Process kt = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "node", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", p12.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        assertThat(kt.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(kt.exitValue()).as(new String(kt.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(p12.toFile())) {
            ks.load(in, "changeit".toCharArray());
        }
        Certificate cert = ks.getCertificate("node");
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        Path certPem = dir.resolve("cert.pem");
        Path keyPem = dir.resolve("key.pem");
        Files.writeString(certPem, "-----BEGIN CERTIFICATE-----\n" + b64.encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n"
                + b64.encodeToString(ks.getKey("node", "changeit".toCharArray()).getEncoded()) + "\n-----END PRIVATE KEY-----\n");

        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("node", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        HttpClient client = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();

        try (ChatNode node = TestNodes.start(dir, "tls", b -> {
            b.tlsCert = certPem;
            b.tlsKey = keyPem;
        })) {
            int port = node.address().getPort();
            HttpResponse<String> index = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(index.statusCode()).isEqualTo(200);
            assertThat(index.headers().firstValue("content-type").orElse("")).startsWith("text/html");

            try (WsClient ws = WsClient.connect(URI.create("wss://127.0.0.1:" + port + "/ws"), client)) {
                ws.send(Frames.frame("hello").put("token", node.tokens().issue("alice")).put("cursor", 0));
                assertThat(ws.next("welcome").get("user").asText()).isEqualTo("alice");
            }
            // Plain HTTP on the TLS port is refused.
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> WsClient.HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
        }
    }
}
