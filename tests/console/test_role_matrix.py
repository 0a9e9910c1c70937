"""Every console page × every role: who may open what, and scope between stores."""

import pytest
from django.urls import reverse

ROLES = ["anonymous", "customer", "store_staff", "warehouse_operator", "hq_marketer", "administrator"]

# page -> expected status for each role in ROLES order
MATRIX = {
    "dashboard": [302, 403, 200, 200, 200, 200],
    "products": [302, 403, 200, 200, 200, 200],
    "product_create": [302, 403, 403, 403, 200, 200],
    "product_detail": [302, 403, 200, 200, 200, 200],
    "stock": [302, 403, 200, 200, 200, 200],
    "stock_receive": [302, 403, 200, 200, 403, 200],
    "ledger": [302, 403, 200, 200, 200, 200],
    "pickup_desk": [302, 403, 200, 403, 403, 200],
    "orders": [302, 403, 200, 200, 200, 200],
    # the order is picked up at store A: warehouse operators do not see it
    "order_detail": [302, 403, 200, 404, 200, 200],
    "customers": [302, 403, 200, 403, 200, 200],
    "customer_detail": [302, 403, 200, 403, 200, 200],
    "product_edit": [302, 403, 403, 403, 200, 200],
    "product_lint": [302, 403, 403, 403, 200, 200],
    "stock_adjust": [302, 403, 200, 200, 403, 200],
    "stock_zones": [302, 403, 200, 200, 403, 200],
    "shipments": [302, 403, 403, 200, 403, 200],
    "customer_edit": [302, 403, 403, 403, 200, 200],
    # segments and personas: marketers and administrators only
    "segments": [302, 403, 403, 403, 200, 200],
    "segment_create": [302, 403, 403, 403, 200, 200],
    "segment_detail": [302, 403, 403, 403, 200, 200],
    "segment_edit": [302, 403, 403, 403, 200, 200],
    "segment_export_progress": [302, 403, 403, 403, 200, 200],
    "segment_export_download": [302, 403, 403, 403, 200, 200],
    "personas": [302, 403, 403, 403, 200, 200],
    "persona_create": [302, 403, 403, 403, 200, 200],
    "persona_edit": [302, 403, 403, 403, 200, 200],
    # issue 8: privacy requests; exports of the customer list (another person's or no export: 404)
    "customer_privacy": [302, 403, 403, 403, 403, 200],
    "customer_export": [302, 403, 403, 403, 404, 404],
    "customer_export_download": [302, 403, 403, 403, 404, 404],
    "duplicates": [302, 403, 403, 403, 200, 200],
    "duplicates_scan_status": [302, 403, 403, 403, 200, 200],
    "customer_merge_with": [302, 403, 403, 403, 200, 200],
    # issue 9: campaigns, offers and the suppression list are marketers' and administrators'
    "campaigns": [302, 403, 403, 403, 200, 200],
    "campaign_create": [302, 403, 403, 403, 200, 200],
    "campaign_detail": [302, 403, 403, 403, 200, 200],
    "campaign_edit": [302, 403, 403, 403, 200, 200],
    "campaign_progress": [302, 403, 403, 403, 200, 200],
    "campaign_message": [302, 403, 403, 403, 200, 200],
    "campaign_preview": [302, 403, 403, 403, 200, 200],
    "campaign_print_run": [302, 403, 403, 403, 200, 200],
    "campaign_print_file": [302, 403, 403, 403, 404, 404],  # a run with no file
    "sending_policy": [302, 403, 403, 403, 200, 200],
    "suppressions": [302, 403, 403, 403, 200, 200],
    # issue 11: back-in-stock requests — HQ sees all, store staff their own store's
    "back_in_stock": [302, 403, 200, 403, 200, 200],
    # issue 11: HQ's reports; store staff and the warehouse are not let in (campaigns.views.reports)
    "report_sales": [302, 403, 403, 403, 200, 200],
    "report_fulfilment": [302, 403, 403, 403, 200, 200],
    "report_performance": [302, 403, 403, 403, 200, 200],
    "report_engagement": [302, 403, 403, 403, 200, 200],
    # issue 11: attribution and the channel costs behind its ROAS are HQ's
    "attribution": [302, 403, 403, 403, 200, 200],
    "attribution_costs": [302, 403, 403, 403, 200, 200],
    # issue 11: journeys are HQ's (a draft journey with one step)
    "journeys": [302, 403, 403, 403, 200, 200],
    "journey_create": [302, 403, 403, 403, 200, 200],
    "journey_detail": [302, 403, 403, 403, 200, 200],
    "journey_edit": [302, 403, 403, 403, 200, 200],
    "journey_step_new": [302, 403, 403, 403, 200, 200],
    "journey_step_edit": [302, 403, 403, 403, 200, 200],
    "attribution_run": [302, 403, 403, 403, 200, 200],  # a background run's progress bar
    "offers": [302, 403, 403, 403, 200, 200],
    "offer_create": [302, 403, 403, 403, 200, 200],
    "offer_detail": [302, 403, 403, 403, 200, 200],
    "offer_edit": [302, 403, 403, 403, 200, 200],
    "offer_codes_export": [302, 403, 403, 403, 200, 200],
    "code_batch_progress": [302, 403, 403, 403, 200, 200],
    # issue 10: transfers, purchase orders, receiving, stock counts (the documents are at the
    # warehouse; the transfer goes to store A, so store A's staff see it and nothing else)
    "transfers": [302, 403, 200, 200, 200, 200],
    "transfer_new": [302, 403, 200, 200, 403, 200],
    "transfer_detail": [302, 403, 200, 200, 200, 200],
    "purchase_orders": [302, 403, 200, 200, 200, 200],
    "purchase_order_new": [302, 403, 403, 200, 403, 200],
    "purchase_order_detail": [302, 403, 404, 200, 200, 200],
    "receipts": [302, 403, 200, 200, 200, 200],
    "receipt_new": [302, 403, 200, 200, 403, 200],
    "receipt_detail": [302, 403, 404, 200, 200, 200],
    "counts": [302, 403, 200, 200, 200, 200],
    "count_new": [302, 403, 200, 200, 403, 200],
    "count_detail": [302, 403, 404, 200, 200, 200],
    # issue 10: registers — store staff run their store's, HQ reads them, administrators set them up
    "registers": [302, 403, 200, 403, 200, 200],
    "register_create": [302, 403, 403, 403, 403, 200],
    "register_open": [302, 403, 200, 403, 403, 200],
    "register_close": [302, 403, 200, 403, 403, 200],
    "register_session": [302, 403, 200, 403, 200, 200],
    "register_day": [302, 403, 200, 403, 200, 200],
    "register_history": [302, 403, 200, 403, 200, 200],
    # issue 10: the returns desk (any order can come back at any store; mail returns at the warehouse)
    "returns": [302, 403, 200, 200, 200, 200],
    "return_new": [302, 403, 200, 200, 403, 200],
    # issue 10: the till is store staff's (their own store's registers) and administrators'
    "till": [302, 403, 200, 403, 403, 200],
    "till_register": [302, 403, 200, 403, 403, 200],
    "till_search": [302, 403, 200, 403, 403, 200],
    "till_receipt": [302, 403, 200, 403, 403, 200],
    "till_aisle": [302, 403, 200, 403, 403, 200],  # the endless aisle of one item
    "till_prices": [302, 403, 200, 403, 403, 200],  # the price list the offline till keeps
    "till_service_worker": [200, 200, 200, 200, 200, 200],  # the till's service worker: code only, no data
    # issue 10: the pickup badge (desk staff), pick lists and packing slips (shipping staff)
    "pickup_badge": [302, 403, 200, 403, 403, 200],
    "pick_list": [302, 403, 403, 200, 403, 200],
    "packing_slips": [302, 403, 403, 200, 403, 200],
}

# POST-only actions, sent with input that is refused or changes nothing, so that every
# role meets the same data: 302 back to the page (allowed), 400 (allowed, bad input), 403.
POST_MATRIX = {
    "order_cancel": [302, 403, 302, 403, 403, 302],  # no reason given: nothing is cancelled
    "shipment_ship": [302, 403, 403, 302, 403, 302],  # no tracking number: nothing is shipped
    "customer_consent": [302, 403, 403, 403, 302, 302],  # unknown channel: nothing is recorded
    "customer_event_add": [302, 403, 400, 403, 400, 400],  # staff note without a note
    "customer_identity_add": [302, 403, 403, 403, 302, 302],  # no value: the form's error, nothing stored
    "customer_identity_remove": [302, 403, 403, 403, 404, 404],  # no such identity
    "segment_builder": [302, 403, 403, 403, 200, 200],  # re-renders the editor, stores nothing
    "segment_count": [302, 403, 403, 403, 200, 200],  # counts, stores nothing
    "segment_upload": [302, 403, 403, 403, 400, 400],  # no file
    "segment_export": [302, 403, 403, 403, 302, 302],  # unknown encoding: nothing starts
    "segment_snapshot": [302, 403, 403, 403, 302, 302],
    "scores_recompute": [302, 403, 403, 403, 302, 302],
    "segment_delete": [302, 403, 403, 403, 302, 302],  # a segment made to be deleted
    "persona_delete": [302, 403, 403, 403, 302, 302],  # a persona made to be deleted
    "customer_export_start": [302, 403, 403, 403, 302, 302],  # no encoding: nothing is queued
    "customer_privacy_erase": [302, 403, 403, 403, 403, 400],  # no reason, no confirmation
    "customer_privacy_export": [302, 403, 403, 403, 403, 200],  # the JSON (an audit row, nothing else)
    "duplicate_merge": [302, 403, 403, 403, 302, 302],  # a pair reviewed before: nothing is merged
    "duplicate_dismiss": [302, 403, 403, 403, 404, 404],  # no such pair
    "customer_merge_with": [302, 403, 403, 403, 400, 400],  # no other record chosen
    "duplicates_scan": [302, 403, 403, 403, 302, 302],  # a scan already running: nothing new
    "campaign_audience_count": [302, 403, 403, 403, 200, 200],  # counts, stores nothing
    "campaign_action": [302, 403, 403, 403, 302, 302],  # submit without an audience: refused
    "campaign_message_new": [302, 403, 403, 403, 302, 302],  # no channel: nothing
    "campaign_test_send": [302, 403, 403, 403, 302, 302],  # an SMS message: no test send
    "campaign_print": [302, 403, 403, 403, 302, 302],  # nothing chosen to print
    "suppression_add": [302, 403, 403, 403, 400, 400],  # no address
    "suppression_remove": [302, 403, 403, 403, 404, 404],  # no such row
    "offer_code_create": [302, 403, 403, 403, 400, 400],  # no code
    "offer_codes_generate": [302, 403, 403, 403, 400, 400],  # no count
    "transfer_action": [302, 403, 403, 302, 403, 302],  # ship a transfer not approved: refused, nothing moves
    "count_enter": [302, 403, 404, 400, 403, 400],  # no code scanned
    "count_action": [302, 403, 404, 302, 403, 302],  # submit a cancelled count: refused
    "register_open": [302, 403, 400, 403, 403, 400],  # already open: refused
    "register_close": [302, 403, 400, 403, 403, 400],  # nothing counted: refused, the register stays open
    "register_create": [302, 403, 403, 403, 403, 400],  # no code, no name
    "order_refund": [302, 403, 302, 403, 403, 302],  # no amount, no reason: nothing is refunded
    "till_scan": [302, 403, 200, 403, 403, 200],  # nothing scanned: the sale re-rendered with the message
    "till_line": [302, 403, 200, 403, 403, 200],  # no such line
    "till_customer": [302, 403, 200, 403, 403, 200],  # nothing typed
    "till_codes": [302, 403, 200, 403, 403, 200],  # no code
    "till_complete": [302, 403, 302, 403, 403, 302],  # an empty sale: refused, nothing sold
    "till_receipt_reprint": [302, 403, 302, 403, 403, 302],  # counts one more print, nothing else
    "till_receipt_email": [302, 403, 302, 403, 403, 302],  # no address: nothing is sent
    "till_void": [302, 403, 302, 403, 403, 302],  # no reason: nothing is voided
    # issue 10 (the order is picked up at store A: the warehouse operator does not see it)
    "order_lines_cancel": [302, 403, 302, 403, 403, 302],  # no item, no reason: nothing is cancelled
    "order_note_add": [302, 403, 302, 404, 403, 302],  # an empty note: nothing is written
    "order_tags_set": [302, 403, 302, 404, 403, 302],  # no tags on an order without tags: nothing changes
    # issue 11: A/B tests (HQ) and channel costs
    "campaign_abtest": [302, 403, 403, 403, 302, 302],  # nothing chosen: refused, nothing saved
    "campaign_abtest_winner": [302, 403, 403, 403, 404, 404],  # the campaign has no A/B test
    "attribution_cost_delete": [302, 403, 403, 403, 404, 404],  # no such cost
    "journey_from_template": [302, 403, 403, 403, 404, 404],  # no such ready-made journey
    "journey_action": [302, 403, 403, 403, 302, 302],  # activate a journey that is not ready: refused
    "journey_step_remove": [302, 403, 403, 403, 404, 404],  # no such step
    "attribution_run_start": [302, 403, 403, 403, 302, 302],  # no range: back to the page, nothing started
}
POST_DATA = {
    "order_cancel": {"reason": ""},
    "shipment_ship": {"tracking_number": ""},
    "customer_consent": {"channel": "fax", "granted": "1"},
    "customer_event_add": {"kind": "staff_note", "interaction": "phone", "note": ""},
    "customer_identity_add": {"kind": "loyalty_card", "value": ""},
    "customer_identity_remove": {},
    "segment_builder": {}, "segment_count": {}, "segment_upload": {}, "segment_export": {"encoding": "utf-16"},
    "segment_snapshot": {}, "scores_recompute": {}, "segment_delete": {}, "persona_delete": {},
    "customer_export_start": {"encoding": ""},
    "customer_privacy_erase": {"reason": ""},
    "customer_privacy_export": {},
    "duplicate_merge": {},
    "duplicate_dismiss": {},
    "customer_merge_with": {},
    "duplicates_scan": {},
    "campaign_audience_count": {}, "campaign_action": {}, "campaign_message_new": {}, "campaign_test_send": {},
    "campaign_print": {"kind": ""}, "suppression_add": {}, "suppression_remove": {}, "offer_code_create": {},
    "offer_codes_generate": {},
    "transfer_action": {}, "count_enter": {"code": ""}, "count_action": {},
    "register_open": {"opening_float": "1000"}, "register_close": {"note": ""}, "register_create": {},
    "order_refund": {"amount": "", "reason": ""},
    "till_scan": {"code": ""}, "till_line": {"sku": "NONE"}, "till_customer": {}, "till_codes": {},
    "till_complete": {}, "till_receipt_reprint": {}, "till_receipt_email": {"email": ""}, "till_void": {"reason": ""},
    "order_lines_cancel": {"reason": ""}, "order_note_add": {"body": ""}, "order_tags_set": {"tags": ""},
    "campaign_abtest": {}, "campaign_abtest_winner": {}, "attribution_cost_delete": {},
    "journey_from_template": {"template": ""}, "journey_action": {}, "journey_step_remove": {},
    "attribution_run_start": {},
}


def _till(shop) -> dict:
    """A register of store A with its session open and one sale rung up there."""
    from orders.models import Register, RegisterSession, TillSale
    from orders.payments import TenderIn
    from orders.till import TillLineIn, till_sale

    register = Register.objects.filter(location=shop.store_a, code="M1").first()
    if register is None:
        register = Register.objects.create(location=shop.store_a, code="M1", name="マトリクス")
        session = RegisterSession.objects.create(register=register)
        till_sale(register_session=session, idempotency_key="matrix", acting_user=None,
                  lines=[TillLineIn("LS-L")], tenders=[TenderIn("cash", 10000)])
    return {"register": register.pk, "number": TillSale.objects.get(idempotency_key="matrix").order.number}


def _campaigns() -> dict:
    """A draft campaign without an audience (an email and an SMS message), a print run with no
    file, an offer with a batch of codes."""
    from campaigns import offers, services
    from campaigns.models import Campaign, PrintRun

    campaign = Campaign.objects.filter(name="マトリクス").first()
    if campaign is None:
        campaign = services.campaign_create(name="マトリクス", acting_user=None)
        for channel in ("email", "sms"):
            services.message_set(campaign=campaign, channel=channel, language="ja", subject="件名", body="本文",
                                 acting_user=None)
        PrintRun.objects.create(campaign=campaign, kind="pop", status="done", files=[])
        offer = offers.offer_create(acting_user=None, name="マトリクス 10%OFF", kind="percent", value=10)
        offers.codes_generate(offer=offer, count=1, acting_user=None)
    offer = offers.Offer.objects.get(name="マトリクス 10%OFF")
    return {"campaign": campaign.pk, "email": campaign.messages.get(channel="email").pk,
            "sms": campaign.messages.get(channel="sms").pk, "run": campaign.print_runs.get().pk,
            "offer": offer.pk, "batch": offer.batches.get().pk}


def _journeys() -> dict:
    """A draft journey with one wait step (and nothing else: it cannot be activated)."""
    from campaigns import journeys
    from campaigns.models import Journey

    journey = Journey.objects.filter(name="マトリクスの旅").first()
    if journey is None:
        journey = journeys.journey_create(acting_user=None, name="マトリクスの旅", trigger="signed_up")
        journeys.step_add(journey=journey, acting_user=None, kind="send", config={"channel": "email"})
    return {"journey": journey.pk, "step": journey.steps.get().pk}


def _segments() -> dict:
    """A segment with a persona and a finished export, and a segment and persona to delete."""
    from customers import segments
    from customers.models import Persona, Segment, SegmentExport

    if not Segment.objects.filter(name="東京").exists():
        persona = segments.persona_create(name="週末派")
        segment = segments.segment_create(name="東京", persona=persona, rules={"groups": [{"conditions": [
            {"field": "prefecture", "operator": "in", "value": ["13"]}]}]})
        export = segments.segment_export_start(segment=segment)
        segments.segment_export_run(export.pk)
    if not Segment.objects.filter(name="消す").exists():
        segments.segment_create(name="消す", kind="static")
    if not Persona.objects.filter(name="消す").exists():
        segments.persona_create(name="消す")
    segment = Segment.objects.get(name="東京")
    return {"segment": segment.pk, "persona": Persona.objects.get(name="週末派").pk,
            "export": SegmentExport.objects.get(segment=segment).pk,
            "doomed_segment": Segment.objects.get(name="消す").pk, "doomed_persona": Persona.objects.get(name="消す").pk}


def _warehouse(shop) -> dict:
    """A transfer requested from the warehouse by store A, a purchase order and a receipt at the
    warehouse, and a cancelled count there."""
    from inventory import counts, receiving, transfers
    from inventory.documents import LineIn, ReceivedLineIn
    from inventory.models import PurchaseOrder, StockCount, Transfer

    if not Transfer.objects.exists():
        transfers.transfer_request(source=shop.warehouse, destination=shop.store_a, lines=[LineIn(shop.small, 1)])
        order = receiving.purchase_order_create(location=shop.warehouse, supplier_name="東洋繊維",
                                                lines=[LineIn(shop.small, 5)])
        receiving.receipt_create(location=shop.warehouse, purchase_order=order, lines=[ReceivedLineIn(shop.small, 2)])
        counts.count_cancel(count=counts.count_start(location=shop.warehouse))
    return {"transfer": Transfer.objects.get().number, "po": PurchaseOrder.objects.get().number,
            "receipt": PurchaseOrder.objects.get().receipts.get().number, "count": StockCount.objects.get().number}


def _url(name, shop, pickups, customer, shipment=None):
    kwargs = {
        "product_detail": {"pk": shop.product.pk},
        "product_edit": {"code": shop.product.code},
        "order_detail": {"number": pickups["a"].number},
        "order_cancel": {"number": pickups["a"].number},
        "order_refund": {"number": pickups["a"].number},
        "return_new": {"number": pickups["a"].number},
        "order_lines_cancel": {"number": pickups["a"].number},
        "order_note_add": {"number": pickups["a"].number},
        "order_tags_set": {"number": pickups["a"].number},
        "customer_detail": {"pk": customer.pk},
        "customer_edit": {"pk": customer.pk},
        "customer_consent": {"pk": customer.pk},
        "customer_event_add": {"pk": customer.pk},
        "customer_identity_add": {"pk": customer.pk},
        "customer_identity_remove": {"pk": customer.pk, "identity_id": 999999},
        "customer_privacy": {"pk": customer.pk},
        "customer_privacy_erase": {"pk": customer.pk},
        "customer_privacy_export": {"pk": customer.pk},
        "customer_export": {"pk": 0},
        "customer_export_download": {"pk": 0},
        "customer_merge_with": {"pk": customer.pk},
        "duplicate_merge": {"pk": _reviewed_pair(customer).pk} if name == "duplicate_merge" else {},
        "duplicate_dismiss": {"pk": 999999},
        "duplicates_scan": _scan_running() if name == "duplicates_scan" else {},
        "shipment_ship": {"pk": shipment.pk if shipment else 0},
    }.get(name, {})
    if name.startswith(("segment_", "persona_")) and name not in ("segment_create", "segment_builder",
                                                                   "segment_count", "persona_create"):
        ids = _segments()
        kwargs = {"pk": ids["segment"]}
        if name.startswith("segment_export_"):
            kwargs["export_id"] = ids["export"]
        elif name == "segment_delete":
            kwargs = {"pk": ids["doomed_segment"]}
        elif name == "persona_edit":
            kwargs = {"pk": ids["persona"]}
        elif name == "persona_delete":
            kwargs = {"pk": ids["doomed_persona"]}
    if name.startswith(("campaign_", "offer_", "code_")) and name not in (
            "campaign_create", "campaign_audience_count", "offer_create"):
        ids = _campaigns()
        kwargs = {"pk": ids["offer"] if name.startswith(("offer_", "code_")) else ids["campaign"]}
        if name == "campaign_message":
            kwargs.update(channel="email", language="ja")
        elif name == "campaign_preview":
            kwargs["message_id"] = ids["email"]
        elif name == "campaign_test_send":
            kwargs["message_id"] = ids["sms"]
        elif name == "campaign_action":
            kwargs["action"] = "submit"
        elif name in ("campaign_print_run", "campaign_print_file"):
            kwargs["run_id"] = ids["run"]
            if name == "campaign_print_file":
                kwargs["index"] = 0
        elif name == "code_batch_progress":
            kwargs["batch_id"] = ids["batch"]
    if name.startswith("journey_") and name not in ("journey_create", "journey_from_template"):
        ids = _journeys()
        kwargs = {"pk": ids["journey"]}
        if name == "journey_step_edit":
            kwargs["step_id"] = ids["step"]
        elif name == "journey_step_remove":
            kwargs["step_id"] = 999999
        elif name == "journey_action":
            kwargs["action"] = "activate"
    if name == "attribution_run":
        from datetime import date

        from campaigns.models import AttributionRun

        run, _created = AttributionRun.objects.get_or_create(start=date(2026, 1, 1), end=date(2026, 6, 30),
                                                             window_days=30, half_life_days=7.0)
        kwargs = {"pk": run.pk}
    if name in ("suppression_remove", "attribution_cost_delete"):
        kwargs = {"pk": 999999}
    if name in ("transfer_detail", "transfer_action", "purchase_order_detail", "receipt_detail", "count_detail",
                "count_enter", "count_action"):
        numbers = _warehouse(shop)
        kwargs = {"number": numbers[{"transfer": "transfer", "purchase": "po", "receipt": "receipt",
                                     "count": "count"}[name.split("_")[0]]]}
        if name in ("transfer_action", "count_action"):
            kwargs["action"] = "ship" if name == "transfer_action" else "submit"
    if name in ("register_open", "register_close", "register_session"):
        session = _register_session(shop)
        kwargs = {"pk": session.register_id if name == "register_open" else session.pk}
    if name.startswith("till_"):
        ids = _till(shop)
        kwargs = {"number": ids["number"]} if name.startswith("till_receipt") or name == "till_void" else {
            "register": ids["register"]}
        if name == "till_service_worker":
            kwargs = {}
        if name == "till_aisle":
            return reverse(f"console:{name}", kwargs=kwargs) + "?code=LS-S"
    return reverse(f"console:{name}", kwargs=kwargs)


def _register_session(shop):
    """An open session of a register at store A (store staff of store A may run it)."""
    from orders import registers
    from orders.models import RegisterSession

    session = RegisterSession.objects.filter(register__location=shop.store_a).first()
    if session is None:
        register = registers.register_create(location=shop.store_a, code="1", name="レジ1")
        session = registers.register_open(register=register, opening_float=30000)
    return session


def _reviewed_pair(customer):
    """A pair staff already dismissed: merging it changes nothing."""
    from customers.models import DuplicateCandidate

    return DuplicateCandidate.objects.get_or_create(low_pk=customer.pk, high_pk=customer.pk + 1000,
                                                    defaults={"status": "dismissed"})[0]


def _scan_running() -> dict:
    """A duplicate search already running: asking for one starts nothing (no URL kwargs)."""
    from customers.models import DuplicateScan

    DuplicateScan.objects.get_or_create(pk=1)
    return {}


def _console_page_names() -> set[str]:
    """Every page name in the "console" namespace, whichever app declares it (apps with their
    own nested namespace, like the brand kit's, are tested on their own)."""
    from django.urls import URLResolver, get_resolver

    names = set()

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace is None:
                    walk(pattern.url_patterns)
            elif pattern.name:
                names.add(pattern.name)

    walk(get_resolver().namespace_dict["console"][1].url_patterns)
    return names


def test_matrix_covers_every_console_page():
    names = _console_page_names()
    # a return's own pages (detail, receipt, refund, email) are covered by tests/console/test_returns_desk.py
    returns_pages = {"return_detail", "return_receipt", "return_refund", "return_email"}
    assert names - {"login", "logout", "pickup_ready", "pickup_hand_over"} - returns_pages == \
        set(MATRIX) | set(POST_MATRIX)


@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_every_console_action_answers_the_role_as_the_matrix_says(client, shop, staff, pickups, customer,
                                                                   shipment, role_index):
    role = ROLES[role_index]
    if role != "anonymous":
        client.force_login(staff[role])
    wrong = {}
    for action, expected in POST_MATRIX.items():
        response = client.post(_url(action, shop, pickups, customer, shipment), POST_DATA[action])
        if response.status_code != expected[role_index]:
            wrong[action] = (response.status_code, expected[role_index])
        if role == "anonymous":
            assert response["Location"].startswith(reverse("console:login"))
    assert wrong == {}, f"{role}: action -> (got, expected)"
    assert pickups["a"].fulfillments.get().status == "reserved"
    shipment.refresh_from_db()
    assert shipment.status == "reserved"
    assert customer.consent_records.filter(source="console").count() == 0
    assert customer.events.filter(kind="staff_note").count() == 0
    from inventory.models import StockCount, Transfer
    assert Transfer.objects.get().status == "requested"
    assert StockCount.objects.get().status == "cancelled"
    assert _register_session(shop).is_open
    order = pickups["a"]
    assert (order.notes.count(), order.tags.count(), order.lines.get().quantity) == (0, 0, 1)


@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_every_console_page_answers_the_role_as_the_matrix_says(client, shop, staff, pickups, customer, role_index):
    role = ROLES[role_index]
    if role != "anonymous":
        client.force_login(staff[role])
    wrong = {}
    for page, expected in MATRIX.items():
        response = client.get(_url(page, shop, pickups, customer))
        if response.status_code != expected[role_index]:
            wrong[page] = (response.status_code, expected[role_index])
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("console:login"))
    assert wrong == {}, f"{role}: page -> (got, expected)"


def test_superuser_without_role_opens_every_page(client, django_user_model, shop, staff, pickups, customer):
    root = django_user_model.objects.create_superuser("root@example.jp", "pass-Word-123")
    client.force_login(root)
    for page in MATRIX:
        if page in ("customer_export", "customer_export_download", "campaign_print_file"):
            continue  # only the staff member who asked for an export opens it (404 for anyone else); no file
        assert client.get(_url(page, shop, pickups, customer)).status_code == 200, page


def test_navigation_shows_only_what_the_role_may_open(client, staff):
    client.force_login(staff["store_staff"])
    html = client.get(reverse("console:dashboard")).content.decode()
    assert reverse("console:pickup_desk") in html
    assert reverse("console:customers") in html
    assert f'href="{reverse("console:receipts")}"' in html  # stores receive deliveries too
    assert f'href="{reverse("console:transfers")}"' in html  # and ask for and receive transfers
    assert f'href="{reverse("console:shipments")}"' not in html
    client.force_login(staff["hq_marketer"])
    assert f'href="{reverse("console:stock_receive")}"' not in client.get(reverse("console:dashboard")).content.decode()
    client.force_login(staff["warehouse_operator"])
    html = client.get(reverse("console:dashboard")).content.decode()
    assert f'href="{reverse("console:receipts")}"' in html
    assert f'href="{reverse("console:counts")}"' in html
    assert f'href="{reverse("console:pickup_desk")}"' not in html
    assert f'href="{reverse("console:customers")}"' not in html


def test_store_staff_of_store_b_cannot_open_store_a_desk_or_order(client, staff, shop, pickups):
    client.force_login(staff["store_staff_b"])
    assert client.get(reverse("console:pickup_desk"), {"location": shop.store_a.pk}).status_code == 403
    detail = client.get(reverse("console:order_detail", kwargs={"number": pickups["a"].number}))
    assert detail.status_code == 404
    own_desk = client.get(reverse("console:pickup_desk"), {"status": "all"}).content.decode()
    assert pickups["b"].number in own_desk
    assert pickups["a"].number not in own_desk


def test_store_staff_of_store_b_cannot_mark_or_hand_over_store_a_pickup(client, staff, pickups):
    fulfillment = pickups["a"].fulfillments.get()
    client.force_login(staff["store_staff_b"])
    for name in ("console:pickup_ready", "console:pickup_hand_over"):
        response = client.post(reverse(name, kwargs={"pk": fulfillment.pk}), HTTP_HX_REQUEST="true")
        assert response.status_code == 403
    fulfillment.refresh_from_db()
    assert fulfillment.status == "reserved"


def test_scoped_orders_list_hides_other_stores(client, staff, pickups):
    client.force_login(staff["store_staff"])
    html = client.get(reverse("console:orders")).content.decode()
    assert pickups["a"].number in html
    assert pickups["b"].number not in html


def test_stock_receive_refuses_a_location_outside_the_scope(client, staff, shop):
    client.force_login(staff["warehouse_operator"])
    response = client.post(reverse("console:stock_receive"),
                           {"location": shop.store_a.pk, "code": "LS-S", "quantity": 5, "reference": "PO-9"})
    assert response.status_code == 400
    assert "location" in response.context["form"].errors
    assert shop.small.movements.filter(reference="PO-9").count() == 0
