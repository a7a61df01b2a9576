package io.stickyring.chat.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An in-memory {@link Outbox} (load generator, tests): same ordering rules, nothing survives the process. */
public final class MemoryOutbox implements Outbox {
    private final Map<String, OutboxEntry> entries = new LinkedHashMap<>();
    private long cursor;

    @Override
    public synchronized void add(OutboxEntry e) {
        entries.putIfAbsent(e.id(), e);
    }

    @Override
    public synchronized void remove(String id) {
        entries.remove(id);
    }

    @Override
    public synchronized List<OutboxEntry> pending() {
        return new ArrayList<>(entries.values());
    }

    @Override
    public synchronized long cursor() {
        return cursor;
    }

    @Override
    public synchronized void cursor(long c) {
        cursor = Math.max(cursor, c);
    }

    @Override
    public synchronized void resetCursor(long c) {
        cursor = c;
    }

    @Override
    public void close() {
    }
}
