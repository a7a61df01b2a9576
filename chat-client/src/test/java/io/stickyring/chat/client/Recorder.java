package io.stickyring.chat.client;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A listener that records everything, for assertions (shared through the test jar with chat-node's and dist's tests). */
public final class Recorder implements ChatListener {
    public final List<ChatMessage> messages = new CopyOnWriteArrayList<>();
    public final List<SendAck> acks = new CopyOnWriteArrayList<>();
    public final List<String> failed = new CopyOnWriteArrayList<>();
    public final List<ConnectionState> states = new CopyOnWriteArrayList<>();
    public final List<String> receipts = new CopyOnWriteArrayList<>();

    @Override
    public void onMessage(ChatMessage m) {
        messages.add(m);
    }

    @Override
    public void onAck(SendAck a) {
        acks.add(a);
    }

    @Override
    public void onSendFailed(OutboxEntry e, String code, String message) {
        failed.add(e.id() + ":" + code);
    }

    @Override
    public void onState(ConnectionState state, ConnectionInfo info) {
        states.add(state);
    }

    @Override
    public void onReceipt(String conv, String user, long seq) {
        receipts.add(conv + ":" + user + ":" + seq);
    }

    public List<String> bodies() {
        return messages.stream().map(ChatMessage::body).toList();
    }
}
