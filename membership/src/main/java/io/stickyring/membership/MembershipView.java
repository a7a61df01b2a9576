package io.stickyring.membership;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable snapshot of the member list at one version.
 *
 * <p>Invariant: every watcher that has seen the same set of member znodes reports the same
 * {@code version} and the same {@code members} (sorted by id), so every LB builds the same ring.
 *
 * @param version          monotonic version of the member set
 * @param members          members sorted by id, no duplicate ids
 * @param staleSinceMillis 0 while the source is connected; otherwise epoch millis since the view
 *                         could not be refreshed (the view is kept, never emptied, during an outage)
 */
public record MembershipView(long version, List<Member> members, long staleSinceMillis) {

    public MembershipView {
        Objects.requireNonNull(members, "members");
        members = members.stream().sorted(Comparator.comparing(Member::id)).toList();
        for (int i = 1; i < members.size(); i++) {
            if (members.get(i).id().equals(members.get(i - 1).id())) {
                throw new IllegalArgumentException("duplicate member id '" + members.get(i).id() + "' in view");
            }
        }
    }

    public static MembershipView of(long version, List<Member> members) {
        return new MembershipView(version, members, 0L);
    }

    public boolean stale() {
        return staleSinceMillis != 0L;
    }

    public MembershipView markStale(long sinceMillis) {
        return stale() ? this : new MembershipView(version, members, sinceMillis);
    }

    public Optional<Member> member(String id) {
        return members.stream().filter(m -> m.id().equals(id)).findFirst();
    }
}
