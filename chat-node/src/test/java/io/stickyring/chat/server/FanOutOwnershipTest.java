package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue #17: the session registry is the node's one fan-out list. No other main class keeps a
 * per-user map of event receivers (a {@code Map} whose values are, or hold, handlers of bus events
 * or registry listeners); the buses hand every event to one sink instead.
 */
class FanOutOwnershipTest {

    @Test
    void onlyTheSessionRegistryKeepsPerUserListeners() throws Exception {
        List<String> offenders = new ArrayList<>();
        for (Class<?> c : mainClasses()) {
            if (c == SessionRegistry.class || c.getEnclosingClass() == SessionRegistry.class) {
                continue;
            }
            for (Field f : c.getDeclaredFields()) {
                if (Map.class.isAssignableFrom(f.getType()) && f.getGenericType() instanceof ParameterizedType p
                        && p.getActualTypeArguments().length == 2 && holdsReceivers(p.getActualTypeArguments()[1])) {
                    offenders.add(c.getName() + "." + f.getName() + ": " + f.getGenericType().getTypeName());
                }
            }
        }
        assertThat(offenders).as("per-user receiver maps outside SessionRegistry").isEmpty();
    }

    @Test
    void theCheckRecognisesAPerUserSubscriberMap() throws Exception {
        class Today {
            Map<String, List<java.util.function.Consumer<io.stickyring.chat.bus.BusEvent>>> local;
        }
        ParameterizedType p = (ParameterizedType) Today.class.getDeclaredField("local").getGenericType();
        assertThat(holdsReceivers(p.getActualTypeArguments()[1])).isTrue();
        assertThat(mainClasses()).contains(SessionRegistry.class, io.stickyring.chat.bus.LocalMessageBus.class,
                io.stickyring.chat.bus.NatsMessageBus.class);
    }

    /** A handler of bus events or a registry listener, itself or inside a collection. */
    private static boolean holdsReceivers(Type t) {
        if (t instanceof ParameterizedType p) {
            Type raw = p.getRawType();
            if (raw instanceof Class<?> rc && Collection.class.isAssignableFrom(rc)) {
                return holdsReceivers(p.getActualTypeArguments()[0]);
            }
            return raw == java.util.function.Consumer.class
                    && p.getActualTypeArguments()[0] == io.stickyring.chat.bus.BusEvent.class;
        }
        return t == SessionRegistry.Listener.class;
    }

    /** Every class compiled from chat-node's main sources. */
    private static List<Class<?>> mainClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(SessionRegistry.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(x -> x.toString().endsWith(".class")).toList()) {
                String name = root.relativize(f).toString().replace(f.getFileSystem().getSeparator(), ".");
                name = name.substring(0, name.length() - ".class".length());
                if (name.equals("module-info") || name.endsWith("package-info")) {
                    continue;
                }
                out.add(Class.forName(name, false, FanOutOwnershipTest.class.getClassLoader()));
            }
        }
        return out;
    }
}
