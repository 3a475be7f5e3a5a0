#!/usr/bin/env python3
"""tests/lit/driver/Inputs/check_graph_json.py - the structure of `flowc graph --format json`.

Usage: check_graph_json.py GRAPH.json
Asserts the document for graph_two.flow: both services in source order, what each owns
and subscribes to, and the edges of a cross-service subscription, a view, a join and a
reaction.
"""
import json
import sys


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        g = json.load(f)
    assert list(g) == ["services", "edges"], list(g)
    services = {s["name"]: s for s in g["services"]}
    assert list(services) == ["Stock", "Orders"], list(services)
    for s in services.values():
        assert list(s) == ["name", "module", "events", "streams", "tables", "commands", "queries",
                           "subscribes"], list(s)
        assert s["module"] == "two", s
    orders = services["Orders"]
    assert [e["name"] for e in orders["events"]] == ["OrderPlaced", "OrderFlagged"], orders
    assert orders["streams"] == [{"name": "Big", "key": "order_id"}], orders
    assert orders["tables"] == [{"name": "StockCopy", "kind": "fold", "key": ["product"]},
                                {"name": "Sold", "kind": "view", "key": ["product"]}], orders
    assert orders["commands"] == [{"name": "Place", "emits": ["Orders.OrderPlaced"]}], orders
    assert orders["queries"] == ["Available"], orders
    subscribes = ["Orders.Big", "Orders.OrderPlaced", "Stock.StockAdjusted"]
    assert orders["subscribes"] == subscribes, orders
    assert services["Stock"]["queries"] == [], services["Stock"]
    for edge in ({"from": "Stock.StockAdjusted", "to": "Orders.StockCopy", "kind": "on"},
                 {"from": "Orders.OrderPlaced", "to": "Orders.Sold", "kind": "from"},
                 {"from": "Orders.StockCopy", "to": "Orders.Big", "kind": "left join"},
                 {"from": "Orders.Big", "to": "Orders.OrderFlagged", "kind": "on \u2192 emits"}):
        assert edge in g["edges"], edge
    assert len(g["edges"]) == 8, g["edges"]
    print("check_graph_json.py: 2 services, 8 edges")
    return 0


if __name__ == "__main__":
    sys.exit(main())
