package io.stickyring.lb.config;

/** PROXY protocol header the LB sends to members at the start of each connection. */
public enum ProxyProtocolMode {
    NONE, V1, V2
}
