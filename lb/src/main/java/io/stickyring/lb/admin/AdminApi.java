package io.stickyring.lb.admin;

import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.lb.route.KeyFunction;
import io.stickyring.lb.route.Router;
import io.stickyring.lb.route.TrackedConnection;
import io.stickyring.membership.MembershipAdmin;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * What the admin endpoints read and act on.
 *
 * @param token    bearer token required on every endpoint except /healthz and /readyz; null = none
 * @param blocking    executor for calls that may block (a drain write to ZooKeeper)
 * @param connections the open proxied connections, iterated (never copied) by GET /connections
 */
public record AdminApi(Router router, LbMetrics metrics, KeyFunction keyFunction, MembershipAdmin admin,
                       java.util.function.Supplier<Map<String, String>> badMembers, String token, Executor blocking,
                       Iterable<? extends TrackedConnection> connections) {
}
