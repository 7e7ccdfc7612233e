#!/usr/bin/env python3
"""Checks aegon's OTLP output against the official OpenTelemetry protobuf definitions.

    python3 scripts/check_otlp.py FILE.otlp.jsonl
    python3 scripts/check_otlp.py FILE.otlp.jsonl --protobuf AEGON [INPUT...]

Needs the `opentelemetry-proto` package (and protobuf).

The first form checks `aegon --otlp` output: each line must parse with
google.protobuf.json_format (unknown fields rejected) as an ExportTraceServiceRequest (a line
with `resourceSpans`) or an ExportMetricsServiceRequest (`resourceMetrics`); trace and span ids
must be the hex of 16 and 8 bytes (OTLP/JSON's encoding) and each span once; every span must
have a name and a start no later than its end; token attributes must be integers, costs and the
cache hit ratio doubles; every metric
must be a monotonic sum with points whose start is no later than their time.

The second form also runs AEGON on the INPUTs with `--otlp-export`, sending OTLP/HTTP protobuf
with gzip to a receiver this script starts on 127.0.0.1, decodes every request body with the
official messages (ParseFromString), and checks that the spans and metric points received are
exactly those of FILE (each once), at /v1/traces and /v1/metrics.

Prints what it counted; exits 1 on the first problem.
"""
import base64
import gzip
import http.server
import json
import os
import subprocess
import sys
import threading
from collections import Counter

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def spans_of(request):
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            yield from ss.spans


def points_of(request):
    """(metric name, unit, temporality, point) for each data point."""
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if not metric.HasField("sum"):
                    sys.exit(f"metric {metric.name} is not a sum")
                for point in metric.sum.data_points:
                    yield metric, point


def hex_ids_to_base64(value):
    """OTLP/JSON writes trace and span ids as hex, where protobuf's JSON mapping (which
    json_format implements) has base64 for bytes: convert them before parsing."""
    if isinstance(value, dict):
        return {
            k: base64.b64encode(bytes.fromhex(v)).decode()
            if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str)
            else hex_ids_to_base64(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [hex_ids_to_base64(v) for v in value]
    return value


def check_file(path):
    traces, metrics = [], []
    ids = set()
    spans = points = 0
    with open(path) as f:
        for number, line in enumerate(f, 1):
            raw = json.loads(line)
            if "resourceSpans" in raw:
                request = ExportTraceServiceRequest()
                traces.append(request)
            elif "resourceMetrics" in raw:
                request = ExportMetricsServiceRequest()
                metrics.append(request)
            else:
                sys.exit(f"line {number}: neither resourceSpans nor resourceMetrics")
            try:
                json_format.Parse(line, type(request)(), ignore_unknown_fields=False)
                json_format.ParseDict(hex_ids_to_base64(raw), request, ignore_unknown_fields=False)
            except (json_format.ParseError, ValueError) as e:
                sys.exit(f"line {number}: not an OTLP export request: {e}")
            for rs in raw.get("resourceSpans", []):
                for ss in rs["scopeSpans"]:
                    for span in ss["spans"]:
                        trace_id, span_id = span["traceId"], span["spanId"]
                        if len(trace_id) != 32 or len(span_id) != 16:
                            sys.exit(f"line {number}: ids are not 16/8 bytes of hex: {trace_id} {span_id}")
                        int(trace_id, 16), int(span_id, 16)
                        if (trace_id, span_id) in ids:
                            sys.exit(f"line {number}: span {span_id} exported twice")
                        ids.add((trace_id, span_id))
                        for a in span["attributes"]:
                            if a["key"].startswith("gen_ai.usage.") and "intValue" not in a["value"]:
                                sys.exit(f"line {number}: {a['key']} is not an integer")
                            money = a["key"].endswith("_usd") or ".lost_usd." in a["key"]
                            if (money or a["key"] in ("aegon.cost.usd", "aegon.cache.hit_ratio")) \
                                    and "doubleValue" not in a["value"]:
                                sys.exit(f"line {number}: {a['key']} is not a double")
            for span in spans_of(request) if "resourceSpans" in raw else []:
                if not span.name:
                    sys.exit(f"line {number}: a span without a name")
                if span.start_time_unix_nano > span.end_time_unix_nano:
                    sys.exit(f"line {number}: span {span.name} ends before it starts")
                spans += 1
            for metric, point in points_of(request) if "resourceMetrics" in raw else []:
                if not metric.sum.is_monotonic or metric.sum.aggregation_temporality not in (1, 2):
                    sys.exit(f"line {number}: {metric.name} is not a monotonic delta or cumulative sum")
                if point.start_time_unix_nano > point.time_unix_nano:
                    sys.exit(f"line {number}: a {metric.name} point ends before it starts")
                points += 1
    print(f"{len(traces)} trace and {len(metrics)} metric requests, {spans} spans, {points} points: valid OTLP/JSON")
    return traces, metrics


def span_keys(requests):
    return Counter(span.SerializeToString(deterministic=True) for r in requests for span in spans_of(r))


def point_keys(requests):
    return Counter(
        (metric.name, metric.unit, metric.sum.aggregation_temporality, point.SerializeToString(deterministic=True))
        for r in requests
        for metric, point in points_of(r)
    )


def check_protobuf(traces, metrics, aegon, inputs):
    received = {"/v1/traces": [], "/v1/metrics": []}
    problems = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.headers.get("Content-Type") != "application/x-protobuf":
                problems.append(f"content type {self.headers.get('Content-Type')}")
            kind = {"/v1/traces": ExportTraceServiceRequest, "/v1/metrics": ExportMetricsServiceRequest}.get(self.path)
            if kind is None:
                problems.append(f"unexpected path {self.path}")
            else:
                request = kind()
                request.ParseFromString(body)
                received[self.path].append(request)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_") and not k.lower().endswith("_proxy")}
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{server.server_address[1]}"
    env["OTEL_EXPORTER_OTLP_COMPRESSION"] = "gzip"
    run = subprocess.run([aegon, "--ndjson", "-q", "--otlp-export", *inputs], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
    server.shutdown()
    if run.returncode != 0 or run.stderr:
        sys.exit(f"aegon exited {run.returncode}: {run.stderr.decode(errors='replace')}")
    if problems:
        sys.exit(problems[0])
    got_spans, want_spans = span_keys(received["/v1/traces"]), span_keys(traces)
    if got_spans != want_spans:
        sys.exit(f"protobuf spans differ from the JSON file: {sum(got_spans.values())} received, {sum(want_spans.values())} expected")
    got_points, want_points = point_keys(received["/v1/metrics"]), point_keys(metrics)
    if got_points != want_points:
        sys.exit(f"protobuf metric points differ from the JSON file: {sum(got_points.values())} received, {sum(want_points.values())} expected")
    print(f"{len(received['/v1/traces'])} trace and {len(received['/v1/metrics'])} metric requests over OTLP/HTTP "
          f"protobuf+gzip: {sum(got_spans.values())} spans and {sum(got_points.values())} points, each once, as in the JSON")


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    traces, metrics = check_file(args[0])
    if len(args) > 1:
        if args[1] != "--protobuf" or len(args) < 4:
            sys.exit(__doc__)
        check_protobuf(traces, metrics, args[2], args[3:])


main()
