"""A few calls through the Python client generated from openapi/openapi.json.

Run by scripts/check-python-client against a fresh leadpool, with the generated package importable
as `leadpool_client`. Uses only the client's typed functions and models. Settings:
LEADPOOL_URL (the service), LEADPOOL_ADMIN_EMAIL and LEADPOOL_ADMIN_PASSWORD (its first admin).
"""

import os
import sys
from http import HTTPStatus

import httpx

from leadpool_client import AuthenticatedClient, Client
from leadpool_client.api.auth import login
from leadpool_client.api.leads import create_lead, list_leads
from leadpool_client.api.pools import create_pool
from leadpool_client.api.reports import conversion_report, conversion_report_csv
from leadpool_client.models import (
    ConversionReport,
    CreateLeadRequest,
    CreatePoolRequest,
    LeadPage,
    LeadResponse,
    LoginRequest,
    PoolResponse,
    SourceChannel,
    TokenResponse,
)
from leadpool_client.types import Response

CSV_HEADER = "\ufeffkey,"  # UTF-8 byte-order mark, then the first column's name


def fail(message: str) -> None:
    sys.exit(f"smoke: FAILED: {message}")


def expect(what: str, response: Response, status: HTTPStatus, kind: type):
    """The parsed answer, when the status and the answer's type are the expected ones."""
    if response.status_code != status or not isinstance(response.parsed, kind):
        fail(
            f"{what}: expected {status.value} with a {kind.__name__}, got {response.status_code.value}"
            f" {response.content[:500].decode('utf-8', 'replace')!r}"
        )
    return response.parsed


def main() -> None:
    base_url = os.environ["LEADPOOL_URL"]
    timeout = httpx.Timeout(30.0)

    with Client(base_url=base_url, timeout=timeout, raise_on_unexpected_status=True) as anonymous:
        tokens = expect(
            "POST /api/v1/auth/login",
            login.sync_detailed(
                client=anonymous,
                body=LoginRequest(
                    email=os.environ["LEADPOOL_ADMIN_EMAIL"],
                    password=os.environ["LEADPOOL_ADMIN_PASSWORD"],
                ),
            ),
            HTTPStatus.OK,
            TokenResponse,
        )

    with AuthenticatedClient(
        base_url=base_url, token=tokens.access_token, timeout=timeout, raise_on_unexpected_status=True
    ) as client:
        # A new database has no pool, and a lead needs one: a default pool takes it.
        expect(
            "POST /api/v1/pools",
            create_pool.sync_detailed(client=client, body=CreatePoolRequest(name="公海", is_default=True)),
            HTTPStatus.CREATED,
            PoolResponse,
        )
        lead = expect(
            "POST /api/v1/leads",
            create_lead.sync_detailed(
                client=client,
                body=CreateLeadRequest(
                    source_channel=SourceChannel.WEBSITE, name="张伟", phone="138 1234 5678"
                ),
            ),
            HTTPStatus.CREATED,
            LeadResponse,
        )

        report = expect(
            "GET /api/v1/reports/conversion",
            conversion_report.sync_detailed(client=client),
            HTTPStatus.OK,
            ConversionReport,
        )
        website = [g for g in report.groups if g.key == SourceChannel.WEBSITE.value]
        if not website or website[0].created < 1:
            fail(f"GET /api/v1/reports/conversion: no website lead counted in {report.to_dict()}")

        csv_response = conversion_report_csv.sync_detailed(client=client)
        csv = expect("GET /api/v1/reports/conversion.csv", csv_response, HTTPStatus.OK, str)
        content_type = csv_response.headers.get("content-type", "")
        if not content_type.startswith("text/csv"):
            fail(f"GET /api/v1/reports/conversion.csv: Content-Type {content_type!r}, not text/csv")
        if not csv.startswith(CSV_HEADER):
            fail(f"GET /api/v1/reports/conversion.csv: does not start with {CSV_HEADER!r}: {csv[:200]!r}")
        if not any(line.startswith("website,") for line in csv.splitlines()):
            fail(f"GET /api/v1/reports/conversion.csv: no website row in {csv[:500]!r}")

        page = expect(
            "GET /api/v1/leads",
            list_leads.sync_detailed(client=client, limit=50),
            HTTPStatus.OK,
            LeadPage,
        )
        if lead.id not in [item.id for item in page.items]:
            fail(f"GET /api/v1/leads: the new lead {lead.id} is not listed")

    print(
        f"smoke: the generated Python client signed in, created a pool and lead {lead.id}, read the conversion"
        f" report as JSON and CSV ({len(csv.splitlines())} lines) and listed {len(page.items)} lead(s)"
    )


if __name__ == "__main__":
    main()
