package io.dtm.coordinator.admin;

import io.netty.handler.codec.http.HttpResponseStatus;

/** A status and a JSON body, before it becomes a Netty response. */
record AdminResponse(HttpResponseStatus status, byte[] json) {
}
