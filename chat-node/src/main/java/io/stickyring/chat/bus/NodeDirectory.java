package io.stickyring.chat.bus;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which other nodes hold sessions of which users, as those nodes announced it on the bus's presence
 * subject: the routing table that lets a publisher send one NATS message per destination node
 * instead of one per recipient. Each node's entries live as long as the node is heard from (any
 * announcement or heartbeat); a node silent for longer than the expiry loses all of them.
 *
 * <p>A hint, never the truth: a user the directory does not know goes to the user's own subject
 * (every node with a session subscribes to it), so a missing entry costs a per-user message; a stale
 * entry costs a message the node drops (no session there). Writes come from one thread (the bus's
 * dispatcher) or the expiry task, under this object's lock; lookups are lock-free.
 *
 * <p>Worked example: node B announces "+ B bob" and "+ B carol", node C "+ C dave". A publish of
 * events for bob, carol, dave and erin becomes one message to B (bob, carol), one to C (dave) and
 * one to erin's subject.
 */
final class NodeDirectory {
    private final Map<String, Set<String>> nodesByUser = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> usersByNode = new HashMap<>();
    private final Map<String, Long> lastHeard = new HashMap<>();

    /** The nodes holding {@code user}'s sessions, as announced (empty: unknown). */
    Set<String> nodesOf(String user) {
        Set<String> n = nodesByUser.get(user);
        return n == null ? Set.of() : n;
    }

    synchronized void heard(String node, long nowNanos) {
        lastHeard.put(node, nowNanos);
        usersByNode.computeIfAbsent(node, k -> new HashSet<>());
    }

    synchronized void add(String node, Collection<String> users, long nowNanos) {
        heard(node, nowNanos);
        Set<String> mine = usersByNode.get(node);
        for (String u : users) {
            if (mine.add(u)) {
                nodesByUser.computeIfAbsent(u, k -> ConcurrentHashMap.newKeySet()).add(node);
            }
        }
    }

    synchronized void remove(String node, Collection<String> users, long nowNanos) {
        heard(node, nowNanos);
        Set<String> mine = usersByNode.get(node);
        for (String u : users) {
            if (mine.remove(u)) {
                unlink(u, node);
            }
        }
    }

    /** Replaces everything {@code node} announced with {@code users} (its full list). */
    synchronized void replace(String node, Collection<String> users, long nowNanos) {
        Set<String> keep = new HashSet<>(users);
        Set<String> mine = usersByNode.get(node);
        if (mine != null) {
            for (String u : Set.copyOf(mine)) {
                if (!keep.contains(u)) {
                    mine.remove(u);
                    unlink(u, node);
                }
            }
        }
        add(node, keep, nowNanos);
    }

    /** Forgets {@code node} and all its users (it said goodbye, or fell silent). */
    synchronized void drop(String node) {
        Set<String> mine = usersByNode.remove(node);
        lastHeard.remove(node);
        if (mine != null) {
            for (String u : mine) {
                unlink(u, node);
            }
        }
    }

    /** Drops every node not heard from since {@code cutoffNanos}; returns how many. */
    synchronized int expire(long cutoffNanos) {
        int dropped = 0;
        for (String node : Set.copyOf(lastHeard.keySet())) {
            if (lastHeard.get(node) - cutoffNanos < 0) {
                drop(node);
                dropped++;
            }
        }
        return dropped;
    }

    /** Forgets every node (after this bus reconnected: it may have missed announcements). */
    synchronized void clear() {
        for (String node : Set.copyOf(usersByNode.keySet())) {
            drop(node);
        }
    }

    /** How many users {@code node} announced (-1: not known). */
    synchronized int usersOf(String node) {
        Set<String> mine = usersByNode.get(node);
        return mine == null ? -1 : mine.size();
    }

    synchronized int nodes() {
        return usersByNode.size();
    }

    private void unlink(String user, String node) {
        nodesByUser.computeIfPresent(user, (k, set) -> {
            set.remove(node);
            return set.isEmpty() ? null : set;
        });
    }
}
