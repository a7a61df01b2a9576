package io.stickyring.chat.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A durable {@link Outbox}: an append-only log file {@code outbox.log} in a directory of its own.
 * Each record is one line {@code <crc32 hex> <json>}: {@code add} (an entry), {@code del} (an id
 * acked or refused) or {@code cur} (the inbox cursor). {@link #add} writes and fsyncs
 * ({@link FileChannel#force}) before returning, so a queued message survives a crash (kill -9,
 * power loss) of the client. {@code del} and {@code cur} are written without fsync: after a crash
 * an acked message may be sent again (the server answers a resend of the same id with the original
 * ack and delivers nothing twice) and the last few messages may be replayed to the restarted
 * client's listener (their cursor record had not reached the disk).
 *
 * <p>Recovery reads records up to the first line whose CRC or JSON is bad (a torn tail write) and
 * truncates there. The log is compacted (live entries and cursor written to a temporary file,
 * fsynced, atomically renamed) on open and whenever dead records outnumber live ones by
 * {@code compactEvery}. A file lock on {@code outbox.lock} keeps a second process out.
 */
public final class FileOutbox implements Outbox {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String LOG = "outbox.log";

    private final Path dir;
    private final Path log;
    private final int compactEvery;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Map<String, OutboxEntry> live = new LinkedHashMap<>();
    private FileChannel channel;
    private long cursor;
    private long records;
    private boolean closed;

    private FileOutbox(Path dir, int compactEvery) throws IOException {
        this.dir = dir;
        this.log = dir.resolve(LOG);
        this.compactEvery = compactEvery;
        Files.createDirectories(dir);
        this.lockChannel = FileChannel.open(dir.resolve("outbox.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            l = null; // held by this process
        }
        if (l == null) {
            lockChannel.close();
            throw new IOException("outbox " + dir + " is in use by another client");
        }
        this.lock = l;
        try {
            load();
            compact();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Opens (creating) the outbox in {@code dir}; compacts once dead records exceed live ones by 1024. */
    public static FileOutbox open(Path dir) throws IOException {
        return open(dir, 1024);
    }

    public static FileOutbox open(Path dir, int compactEvery) throws IOException {
        if (compactEvery < 1) {
            throw new IllegalArgumentException("compactEvery (" + compactEvery + ") must be >= 1");
        }
        return new FileOutbox(dir, compactEvery);
    }

    private void load() throws IOException {
        if (!Files.exists(log)) {
            return;
        }
        byte[] all = Files.readAllBytes(log);
        int pos = 0;
        while (pos < all.length) {
            int nl = indexOf(all, (byte) '\n', pos);
            if (nl < 0) {
                break; // torn tail: no newline
            }
            String line = new String(all, pos, nl - pos, StandardCharsets.UTF_8);
            if (!apply(line)) {
                break;
            }
            pos = nl + 1;
        }
    }

    private boolean apply(String line) {
        int sp = line.indexOf(' ');
        if (sp != 8) {
            return false;
        }
        String json = line.substring(sp + 1);
        if (!line.substring(0, sp).equals(crc(json))) {
            return false;
        }
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            return false;
        }
        switch (n.path("op").asText()) {
            case "add" -> {
                OutboxEntry e = new OutboxEntry(n.path("id").asText(), n.path("conv").asText(), n.path("body").asText(),
                        n.path("ts").asLong());
                live.putIfAbsent(e.id(), e);
            }
            case "del" -> live.remove(n.path("id").asText());
            case "cur" -> cursor = n.path("reset").asBoolean() ? n.path("c").asLong() : Math.max(cursor, n.path("c").asLong());
            default -> {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] a, byte b, int from) {
        for (int i = from; i < a.length; i++) {
            if (a[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static String crc(String json) {
        CRC32 c = new CRC32();
        c.update(json.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", c.getValue());
    }

    private static String line(ObjectNode n) {
        String json = n.toString();
        return crc(json) + " " + json + "\n";
    }

    private static ObjectNode addRecord(OutboxEntry e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("op", "add").put("id", e.id()).put("conv", e.conv()).put("body", e.body()).put("ts", e.enqueuedAtMillis());
        return n;
    }

    /** Rewrites the log as the live entries plus the cursor (temp file, fsync, atomic rename). */
    private void compact() throws IOException {
        Path tmp = dir.resolve(LOG + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            StringBuilder sb = new StringBuilder();
            for (OutboxEntry e : live.values()) {
                sb.append(line(addRecord(e)));
            }
            sb.append(line(JSON.createObjectNode().put("op", "cur").put("c", cursor)));
            writeFully(out, sb.toString());
            out.force(true);
        }
        if (channel != null) {
            channel.close();
        }
        Files.move(tmp, log, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDir();
        channel = FileChannel.open(log, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        records = live.size() + 1L;
    }

    private void fsyncDir() {
        // Makes the rename durable; not every platform lets a directory be opened for this.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // best effort
        }
    }

    private static void writeFully(FileChannel ch, String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private void append(ObjectNode record, boolean fsync) {
        if (closed) {
            throw new IllegalStateException("outbox " + dir + " is closed");
        }
        try {
            writeFully(channel, line(record));
            if (fsync) {
                channel.force(false);
            }
            records++;
            if (records - live.size() > live.size() + (long) compactEvery) {
                compact();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("outbox " + log + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void add(OutboxEntry e) {
        if (live.containsKey(e.id())) {
            return;
        }
        append(addRecord(e), true);
        live.put(e.id(), e);
    }

    @Override
    public synchronized void remove(String id) {
        if (live.remove(id) != null) {
            append(JSON.createObjectNode().put("op", "del").put("id", id), false);
        }
    }

    @Override
    public synchronized List<OutboxEntry> pending() {
        return new ArrayList<>(live.values());
    }

    @Override
    public synchronized long cursor() {
        return cursor;
    }

    @Override
    public synchronized void cursor(long c) {
        if (c > cursor) {
            cursor = c;
            append(JSON.createObjectNode().put("op", "cur").put("c", c), false);
        }
    }

    @Override
    public synchronized void resetCursor(long c) {
        cursor = c;
        append(JSON.createObjectNode().put("op", "cur").put("c", c).put("reset", true), true);
    }

    public Path directory() {
        return dir;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (channel != null) {
                channel.force(false);
                channel.close();
            }
        } catch (IOException e) {
            // closing anyway
        }
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
