package io.stickyring.lb.support;

import io.netty.channel.Channel;
import io.netty.channel.unix.UnixChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Which kernel socket table lists a native channel's socket: "tcp" (AF_INET) or "tcp6" (AF_INET6). */
public final class SocketTables {

    private SocketTables() {
    }

    /** "tcp" or "tcp6": the /proc/self/net table holding {@code ch}'s socket inode (epoll/io_uring channels). */
    public static String of(Channel ch) throws Exception {
        int fd = ((UnixChannel) ch).fd().intValue();
        String link = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        String inode = link.substring(link.indexOf('[') + 1, link.indexOf(']'));
        for (String table : List.of("tcp", "tcp6")) {
            for (String line : Files.readAllLines(Path.of("/proc/self/net/" + table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[9].equals(inode)) {
                    return table;
                }
            }
        }
        throw new AssertionError("socket inode " + inode + " in neither /proc/self/net/tcp nor tcp6");
    }
}
