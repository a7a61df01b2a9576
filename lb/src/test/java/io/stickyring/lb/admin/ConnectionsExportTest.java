package io.stickyring.lb.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.stickyring.lb.route.CloseReason;
import io.stickyring.lb.route.TrackedConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The streamed /connections body: bounded chunks, valid JSON, the CSV sim whatif reads. */
class ConnectionsExportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Conn(InetSocketAddress client, String memberId, long startNanos, long bytesToMember, long bytesFromMember)
            implements TrackedConnection {
        @Override
        public long key() {
            return 0;
        }

        @Override
        public void close(CloseReason reason) {
        }
    }

    private static List<TrackedConnection> many(int n) throws Exception {
        List<TrackedConnection> l = new ArrayList<>(n);
        long now = System.nanoTime();
        for (int i = 0; i < n; i++) {
            InetAddress a = InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
            l.add(new Conn(new InetSocketAddress(a, 1024 + i % 60000), "m" + (i % 7), now - 5_000_000_000L, i, 2L * i));
        }
        return l;
    }

    /** Drains the export as ChunkedWriteHandler would, checking every chunk stays near the bound. */
    private static String drain(ConnectionsExport e) {
        StringBuilder all = new StringBuilder();
        int chunks = 0;
        while (!e.isEndOfInput()) {
            ByteBuf b = e.readChunk(UnpooledByteBufAllocator.DEFAULT);
            try {
                assertThat(b.readableBytes()).isLessThanOrEqualTo(ConnectionsExport.CHUNK_BYTES + 512);
                all.append(b.toString(StandardCharsets.UTF_8));
            } finally {
                b.release();
            }
            chunks++;
        }
        assertThat(e.readChunk(UnpooledByteBufAllocator.DEFAULT)).isNull();
        assertThat(chunks).isGreaterThanOrEqualTo(1);
        return all.toString();
    }

    @Test
    void hundredThousandConnectionsStreamAsBoundedChunksOfValidJson() throws Exception {
        List<TrackedConnection> conns = many(100_000);
        ConnectionsExport e = new ConnectionsExport(conns, null, ConnectionsExport.Format.JSON);
        JsonNode root = JSON.readTree(drain(e));
        assertThat(root.get("count").asLong()).isEqualTo(100_000);
        assertThat(root.get("connections")).hasSize(100_000);
        JsonNode c7 = root.get("connections").get(7);
        assertThat(c7.get("client").asText()).isEqualTo("10.0.0.7:1031");
        assertThat(c7.get("member").asText()).isEqualTo("m0");
        assertThat(c7.get("bytesIn").asLong()).isEqualTo(7);
        assertThat(c7.get("bytesOut").asLong()).isEqualTo(14);
        Instant since = Instant.parse(c7.get("since").asText());
        assertThat(since).isBetween(Instant.now().minusSeconds(60), Instant.now().minusSeconds(4));
    }

    @Test
    void memberFilterCsvFormatAndIpv6() throws Exception {
        List<TrackedConnection> conns = new ArrayList<>(many(20));
        conns.add(new Conn(new InetSocketAddress(InetAddress.getByName("::1"), 4000), "m3", 0, 0, 0));
        conns.add(new Conn(new InetSocketAddress(InetAddress.getByName("127.0.0.9"), 4001), null, 0, 0, 0)); // connecting
        String csv = drain(new ConnectionsExport(conns, "m3", ConnectionsExport.Format.CSV));
        assertThat(csv.split("\n")).containsExactly("ip,member", "10.0.0.3,m3", "10.0.0.10,m3", "10.0.0.17,m3",
                "0:0:0:0:0:0:0:1,m3");
        JsonNode json = JSON.readTree(drain(new ConnectionsExport(conns, "m3", ConnectionsExport.Format.JSON)));
        assertThat(json.get("count").asInt()).isEqualTo(4);
        assertThat(json.get("connections").get(3).get("client").asText()).isEqualTo("[0:0:0:0:0:0:0:1]:4000");
        JsonNode all = JSON.readTree(drain(new ConnectionsExport(conns, null, ConnectionsExport.Format.JSON)));
        assertThat(all.get("count").asInt()).as("the connection still connecting is not listed").isEqualTo(21);
    }

    @Test
    void emptySetIsAValidEmptyDocument() throws Exception {
        JsonNode root = JSON.readTree(drain(new ConnectionsExport(List.of(), null, ConnectionsExport.Format.JSON)));
        assertThat(root.get("connections")).isEmpty();
        assertThat(drain(new ConnectionsExport(List.of(), null, ConnectionsExport.Format.CSV))).isEqualTo("ip,member\n");
    }

    @Test
    void badFormatIsRefusedWithTheValue() {
        assertThatThrownBy(() -> ConnectionsExport.Format.parse("xml")).hasMessage("format (xml) must be json or csv");
        assertThat(ConnectionsExport.Format.parse("CSV")).isEqualTo(ConnectionsExport.Format.CSV);
    }
}
