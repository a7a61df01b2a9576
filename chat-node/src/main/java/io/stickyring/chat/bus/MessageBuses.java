package io.stickyring.chat.bus;

/** Opens the bus named by a {@code --bus} spec. */
public final class MessageBuses {
    private MessageBuses() {
    }

    /** {@code local}: the in-process bus (single node). */
    public static MessageBus open(String spec) {
        if (spec.equals("local")) {
            return new LocalMessageBus();
        }
        throw new IllegalArgumentException("unsupported bus '" + spec + "' (expected local)");
    }
}
