package io.stickyring.lb.config;

/** Active health check kind: none (passive marking only), a TCP connect, or an HTTP GET expecting 2xx. */
public enum HealthCheckMode {
    NONE, TCP, HTTP
}
