#!/usr/bin/env python3
"""Checks `aegon --otlp` output against the official OpenTelemetry protobuf definitions.

    python3 scripts/check_otlp.py FILE.otlp.jsonl

Needs the `opentelemetry-proto` package (and protobuf). Each line must parse as an
ExportTraceServiceRequest with google.protobuf.json_format (unknown fields rejected), its trace
and span ids must be the hex of 16 and 8 bytes (OTLP/JSON's encoding), every span must have a
name, a start no later than its end, and the token attributes must be integers. Prints the
number of requests and spans; exits 1 on the first problem.
"""
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

requests = spans = 0
ids = set()
with open(sys.argv[1]) as f:
    for number, line in enumerate(f, 1):
        request = ExportTraceServiceRequest()
        try:
            json_format.Parse(line, request, ignore_unknown_fields=False)
        except json_format.ParseError as e:
            sys.exit(f"line {number}: not an ExportTraceServiceRequest: {e}")
        requests += 1
        import json
        raw = json.loads(line)
        for rs in raw["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    trace_id, span_id = span["traceId"], span["spanId"]
                    if len(trace_id) != 32 or len(span_id) != 16:
                        sys.exit(f"line {number}: ids are not 16/8 bytes of hex: {trace_id} {span_id}")
                    int(trace_id, 16), int(span_id, 16)
                    if (trace_id, span_id) in ids:
                        sys.exit(f"line {number}: span {span_id} exported twice")
                    ids.add((trace_id, span_id))
                    if int(span["startTimeUnixNano"]) > int(span["endTimeUnixNano"]):
                        sys.exit(f"line {number}: span {span['name']} ends before it starts")
                    for a in span["attributes"]:
                        if a["key"].startswith("gen_ai.usage.") and "intValue" not in a["value"]:
                            sys.exit(f"line {number}: {a['key']} is not an integer")
                    spans += 1
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                for span in ss.spans:
                    if not span.name:
                        sys.exit(f"line {number}: a span without a name")
print(f"{requests} requests, {spans} spans: valid OTLP")
