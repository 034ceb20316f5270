package io.dtm.coordinator.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the admin endpoints answer, independent of Netty's channel plumbing.
 *
 * <p>A supplier that throws, or a status value Jackson cannot serialise, gives a 500 with the
 * message: a broken probe must show up as an error on that request, not take the server down.
 */
final class AdminRoutes {
    static final String METRICS = "/metrics";
    static final String HEALTH = "/health";
    static final String STATUS = "/status";
    static final List<String> PATHS = List.of(METRICS, HEALTH, STATUS);

    private static final Logger LOG = LoggerFactory.getLogger(AdminRoutes.class);

    private final String name;
    private final ObjectMapper mapper;
    private final MetricsJson metrics;
    private final Supplier<Map<String, Object>> status;
    private final BooleanSupplier healthy;
    private final Supplier<String> healthDetail;

    AdminRoutes(String name, ObjectMapper mapper, MetricsJson metrics, Supplier<Map<String, Object>> status,
                BooleanSupplier healthy, Supplier<String> healthDetail) {
        this.name = name;
        this.mapper = mapper;
        this.metrics = metrics;
        this.status = status;
        this.healthy = healthy;
        this.healthDetail = healthDetail;
    }

    AdminResponse handle(HttpMethod method, String uri) {
        QueryStringDecoder query = new QueryStringDecoder(uri);
        String path = query.path();
        if (!PATHS.contains(path)) {
            return error(HttpResponseStatus.NOT_FOUND, Map.of("error", "no such path: " + path, "paths", PATHS));
        }
        if (!HttpMethod.GET.equals(method)) {
            return error(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    Map.of("error", "method " + method + " not allowed on " + path, "allowed", List.of("GET")));
        }
        try {
            return switch (path) {
                case METRICS -> ok(metrics.render(firstParameter(query, "filter")));
                case HEALTH -> health();
                default -> new AdminResponse(HttpResponseStatus.OK, mapper.writeValueAsBytes(status.get()));
            };
        } catch (JsonProcessingException | RuntimeException e) {
            LOG.warn("{}: GET {} failed", name, uri, e);
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, Map.of("error", message, "type", e.getClass().getName()));
        }
    }

    /** A body for a failure that happens outside a route (a malformed request, a handler fault). */
    AdminResponse error(HttpResponseStatus status, Map<String, Object> body) {
        try {
            return new AdminResponse(status, mapper.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            // Maps of strings always serialise; this keeps the contract total all the same.
            return new AdminResponse(status, "{\"error\":\"unserialisable error\"}".getBytes(StandardCharsets.UTF_8));
        }
    }

    private AdminResponse health() throws JsonProcessingException {
        boolean up = healthy.getAsBoolean();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("healthy", up);
        body.put("detail", healthDetail.get());
        return new AdminResponse(up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                mapper.writeValueAsBytes(body));
    }

    private static AdminResponse ok(byte[] json) {
        return new AdminResponse(HttpResponseStatus.OK, json);
    }

    private static String firstParameter(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
