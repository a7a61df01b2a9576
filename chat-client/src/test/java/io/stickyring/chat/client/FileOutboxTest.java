package io.stickyring.chat.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileOutboxTest {
    @TempDir
    Path dir;

    private static OutboxEntry e(int i) {
        return new OutboxEntry("id-" + i, "dm:a:b", "body " + i + " \"quoted\" \n newline", i);
    }

    @Test
    void entriesSurviveReopenInOrderUntilRemoved() throws IOException {
        try (FileOutbox box = FileOutbox.open(dir)) {
            for (int i = 0; i < 5; i++) {
                box.add(e(i));
            }
            box.remove("id-1");
            box.remove("id-3");
            box.cursor(42);
        }
        try (FileOutbox box = FileOutbox.open(dir)) {
            assertThat(box.pending()).containsExactly(e(0), e(2), e(4));
            assertThat(box.cursor()).isEqualTo(42);
        }
    }

    @Test
    void aTornTailRecordIsDroppedAndEverythingBeforeItKept() throws IOException {
        try (FileOutbox box = FileOutbox.open(dir)) {
            box.add(e(0));
            box.add(e(1));
        }
        // a crash in the middle of writing the next record
        Files.writeString(dir.resolve(FileOutbox.LOG), "1234abcd {\"op\":\"add\",\"id\":\"x", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        try (FileOutbox box = FileOutbox.open(dir)) {
            assertThat(box.pending()).containsExactly(e(0), e(1));
            box.add(e(2));
        }
        try (FileOutbox box = FileOutbox.open(dir)) {
            assertThat(box.pending()).containsExactly(e(0), e(1), e(2));
        }
    }

    @Test
    void aCorruptedRecordStopsRecoveryThere() throws IOException {
        try (FileOutbox box = FileOutbox.open(dir)) {
            box.add(e(0));
            box.add(e(1));
        }
        String log = Files.readString(dir.resolve(FileOutbox.LOG));
        Files.writeString(dir.resolve(FileOutbox.LOG), log.replace("body 1", "bodY 1"));
        try (FileOutbox box = FileOutbox.open(dir)) {
            assertThat(box.pending()).containsExactly(e(0));
        }
    }

    @Test
    void compactionBoundsTheLogAndKeepsLiveEntries() throws IOException {
        try (FileOutbox box = FileOutbox.open(dir, 10)) {
            for (int i = 0; i < 1000; i++) {
                box.add(e(i));
                if (i % 100 != 0) {
                    box.remove("id-" + i);
                }
                box.cursor(i + 1);
            }
            assertThat(Files.readAllLines(dir.resolve(FileOutbox.LOG)).size()).isLessThan(60);
        }
        try (FileOutbox box = FileOutbox.open(dir)) {
            assertThat(box.pending()).extracting(OutboxEntry::id)
                    .containsExactly("id-0", "id-100", "id-200", "id-300", "id-400", "id-500", "id-600", "id-700",
                            "id-800", "id-900");
            assertThat(box.cursor()).isEqualTo(1000);
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefused() throws IOException {
        try (FileOutbox box = FileOutbox.open(dir)) {
            assertThatThrownBy(() -> FileOutbox.open(dir)).hasMessageContaining("in use");
        }
    }

    @Test
    void duplicateAddKeepsTheFirstEntry() throws IOException {
        try (FileOutbox box = FileOutbox.open(dir)) {
            box.add(e(0));
            box.add(new OutboxEntry("id-0", "other", "other", 9));
            assertThat(box.pending()).containsExactly(e(0));
        }
    }

    @Test
    void aCursorResetSurvivesReopenAndLaterCursorsMoveOnFromIt() throws IOException {
        try (FileOutbox box = FileOutbox.open(dir)) {
            box.cursor(40);
            box.resetCursor(3);
            box.cursor(4);
            box.cursor(2); // never backwards on its own
        }
        try (FileOutbox box = FileOutbox.open(dir)) {
            assertThat(box.cursor()).isEqualTo(4);
        }
    }
}
