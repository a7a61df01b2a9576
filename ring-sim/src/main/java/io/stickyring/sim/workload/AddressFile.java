package io.stickyring.sim.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.net.HostAndPort;
import com.google.common.net.InetAddresses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a list of client addresses (with optional connection counts and current members) from a
 * file: the LB's connection export, or any hand-made list.
 *
 * <p>Accepted forms (the first non-blank character decides):
 * <ul>
 *   <li>CSV/plain text: one client per line, {@code ip}, {@code ip,count}, {@code ip,member} or
 *       {@code ip,member,count}; {@code #} starts a comment. A header line naming the columns
 *       ({@code ip,member,count} in any order) is honoured; without one a numeric second field is a
 *       count. {@code ip} may carry a port ({@code 10.0.0.1:5555}, {@code [::1]:5555}).</li>
 *   <li>JSON: an array of objects, or an object with a {@code connections} array; each object has
 *       {@code ip} (or {@code client}, {@code address}, {@code remote}), and optionally
 *       {@code member} (or {@code backend}) and {@code count}.</li>
 * </ul>
 * Every bad line is reported with its line number and text; nothing is silently skipped.
 */
public final class AddressFile {

    /** One client address (parsed), its connection count, and the member serving it if known. */
    public record Entry(String ip, InetAddress address, int count, String member) {
    }

    private AddressFile() {
    }

    public static List<Entry> read(Path path) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read address file " + path + ": " + e.getMessage(), e);
        }
        return parse(text, path.toString());
    }

    /** Like {@link #parse}, but an export with no connections (an idle LB) is an empty list, not an error. */
    public static List<Entry> parseLive(String text, String source) {
        String trimmed = text.stripLeading();
        List<Entry> entries = trimmed.startsWith("{") || trimmed.startsWith("[") ? parseJson(trimmed, source)
                : parseCsv(text, source);
        return List.copyOf(entries);
    }

    public static List<Entry> parse(String text, String source) {
        String trimmed = text.stripLeading();
        List<Entry> entries = trimmed.startsWith("{") || trimmed.startsWith("[") ? parseJson(trimmed, source)
                : parseCsv(text, source);
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(source + ": no client addresses found");
        }
        return entries;
    }

    private static List<Entry> parseCsv(String text, String source) {
        List<Entry> out = new ArrayList<>();
        int ipCol = 0;
        int memberCol = -1;
        int countCol = -1;
        boolean header = false;
        String[] lines = text.split("\r?\n");
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s*,\\s*");
            if (!header && out.isEmpty() && looksLikeHeader(f)) {
                header = true;
                ipCol = -1;
                for (int i = 0; i < f.length; i++) {
                    switch (f[i].toLowerCase()) {
                        case "ip", "client", "address", "remote" -> ipCol = i;
                        case "member", "backend" -> memberCol = i;
                        case "count", "connections" -> countCol = i;
                        default -> throw new IllegalArgumentException(source + ":" + (n + 1) + ": unknown column '"
                                + f[i] + "' (expected ip, member, count)");
                    }
                }
                if (ipCol < 0) {
                    throw new IllegalArgumentException(source + ":" + (n + 1) + ": header '" + line + "' has no ip column");
                }
                continue;
            }
            String where = source + ":" + (n + 1) + " '" + line + "'";
            String ip = field(f, ipCol, where);
            String member = null;
            int count = 1;
            if (header) {
                member = memberCol >= 0 ? field(f, memberCol, where) : null;
                count = countCol >= 0 ? count(field(f, countCol, where), where) : 1;
            } else if (f.length == 2) {
                if (f[1].chars().allMatch(Character::isDigit)) {
                    count = count(f[1], where);
                } else {
                    member = f[1];
                }
            } else if (f.length == 3) {
                member = f[1];
                count = count(f[2], where);
            } else if (f.length > 3) {
                throw new IllegalArgumentException(where + ": expected ip[,member][,count]");
            }
            out.add(new Entry(ip, address(ip, where), count, member));
        }
        return out;
    }

    private static boolean looksLikeHeader(String[] f) {
        String first = f[0].toLowerCase();
        return first.equals("ip") || first.equals("client") || first.equals("address") || first.equals("remote")
                || first.equals("member") || first.equals("backend") || first.equals("count");
    }

    private static String field(String[] f, int i, String where) {
        if (i >= f.length || f[i].isEmpty()) {
            throw new IllegalArgumentException(where + ": missing column " + (i + 1));
        }
        return f[i];
    }

    private static int count(String v, String where) {
        try {
            int c = Integer.parseInt(v.strip());
            if (c < 1) {
                throw new IllegalArgumentException(where + ": count (" + c + ") must be >= 1");
            }
            return c;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": count (" + v + ") is not an integer", e);
        }
    }

    private static List<Entry> parseJson(String text, String source) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode list = root.isArray() ? root : root.get("connections");
        if (list == null || !list.isArray()) {
            if (root.has("members")) {
                throw new IllegalArgumentException(source + ": this is an LB /members document, which has no client "
                        + "addresses; give a connections export (ip[,member][,count] lines or {\"connections\":[...]})");
            }
            throw new IllegalArgumentException(source + ": JSON must be an array or have a 'connections' array");
        }
        List<Entry> out = new ArrayList<>();
        int i = 0;
        for (JsonNode c : list) {
            String where = source + ": connections[" + i++ + "] " + c;
            String ip = text(c, where, "ip", "client", "address", "remote");
            if (ip == null) {
                throw new IllegalArgumentException(where + ": no ip/client/address field");
            }
            String member = text(c, where, "member", "backend");
            int count = c.has("count") ? c.get("count").asInt(-1) : 1;
            if (count < 1) {
                throw new IllegalArgumentException(where + ": count (" + c.get("count") + ") must be an integer >= 1");
            }
            out.add(new Entry(ip, address(ip, where), count, member));
        }
        return out;
    }

    private static String text(JsonNode c, String where, String... names) {
        for (String n : names) {
            JsonNode v = c.get(n);
            if (v != null && !v.isNull()) {
                return v.asText();
            }
        }
        return null;
    }

    /** Parses a literal address, with or without a port; never resolves names (no DNS). */
    public static InetAddress address(String ip, String where) {
        String host = ip.strip();
        try {
            if (!InetAddresses.isInetAddress(host)) {
                host = HostAndPort.fromString(host).getHost();
            }
            return InetAddresses.forString(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": '" + ip + "' is not an IP address literal", e);
        }
    }
}
