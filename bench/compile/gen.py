#!/usr/bin/env python3
# bench/compile/gen.py - generates a large, valid Flow estate for the compile benchmark.
#
# At size factor 1 the estate has 1,000 services, each with 10 event types (one of them
# in two versions with an upcast), 10 tables (7 fold tables with handlers, a group-by
# aggregate, a windowed aggregate and a table-table join), 3 streams (a filter, a
# stream-table left join and a stream-stream join with another service's event), 5
# commands, 4 queries and 2 reactions. Every service subscribes to events and streams of
# other services (`on Other.Event e by ...`, joins, reactions), so name resolution, the
# type checker, the ownership and routing rules and the dependency-cycle check all see
# a realistic load. The factor scales the number of services (and so everything else)
# linearly.
#
# The estate is split into one file per `--per-file` services (the default file size
# limit is 8 MiB), imported by `root.flow`, which also holds a few tests.
#
#   gen.py [--factor N] [--services N] [--per-file N] OUTDIR
#
# writes OUTDIR/root.flow and OUTDIR/part_NNNN.flow (`--services` picks an exact size,
# e.g. a small estate to profile under valgrind).
import argparse
import os
import sys

SERVICE_TEMPLATE = """\
// Service {i} of the estate: accounts, orders, prices and stock, with copies of
// what its neighbours {j} and {k} publish.
service {s} {{
  enum Tier {{ Basic, Silver, Gold }}

  event Opened {{
    key account: string;
    owner: string;
    credit: int = 100;
    tier: Tier = Basic;
  }}
  event Deposited {{
    key account: string;
    amount: int;
    note: string = "";
  }}
  event Withdrawn {{
    key account: string;
    amount: int;
  }}
  event Closed {{
    key account: string;
    reason: string;
  }}
  event OrderPlaced v1 {{
    key order_id: string;
    account: string;
    product: string;
    qty: int;
    price: int;
  }}
  event OrderPlaced v2 {{
    key order_id: string;
    account: string;
    product: string;
    qty: int;
    price: int;
    currency: string = "EUR";
  }}
  upcast OrderPlaced v1 -> v2 {{
    currency = "EUR";
  }}
  event OrderShipped {{
    key order_id: string;
    carrier: string;
    shipped_at: timestamp;
  }}
  event ProductPriced {{
    key product: string;
    price: int;
  }}
  event StockMoved {{
    key product: string;
    delta: int;
  }}
  event Flagged {{
    key account: string;
    level: int;
  }}
  event Audited {{
    key audit_id: string;
    account: string;
    score: float;
  }}

  table Accounts key account: string {{
    owner: string;
    balance: int = 0;
    tier: Tier = Basic;
    open: bool = false;
    on Opened e {{
      owner = e.owner;
      tier = e.tier;
      open = true;
    }}
    on Deposited e {{
      balance += e.amount;
    }}
    on Withdrawn e {{
      balance -= e.amount;
    }}
    on Closed e {{
      delete;
    }}
    on {sj}.Flagged e {{
      if e.level > 2 {{
        open = false;
      }} else if e.level > 1 {{
        tier = Basic;
      }}
    }}
  }}
  table Orders key order_id: string {{
    account: string;
    product: string;
    total: int = 0;
    shipped: bool = false;
    on OrderPlaced e {{
      account = e.account;
      product = e.product;
      total = e.qty * e.price;
    }}
    on OrderShipped e {{
      shipped = true;
    }}
  }}
  table Prices key product: string {{
    price: int = 0;
    on ProductPriced e {{
      price = e.price;
    }}
    on {sj}.ProductPriced e {{
      if price == 0 {{
        price = e.price;
      }}
    }}
  }}
  table Stock key product: string {{
    level: int = 0;
    on StockMoved e {{
      level += e.delta;
    }}
    on OrderPlaced e by e.product {{
      level -= e.qty;
    }}
    on {sk}.OrderPlaced o by o.product {{
      if o.qty > level {{
        level = 0;
      }}
    }}
  }}
  table Remote key account: string {{
    deposits: int = 0;
    withdrawals: int = 0;
    last_seen: timestamp;
    on {sj}.Deposited e {{
      deposits += e.amount;
      last_seen = e.time;
    }}
    on {sk}.Withdrawn e {{
      withdrawals += e.amount;
    }}
    on {sj}.Closed e {{
      delete;
    }}
  }}
  table Risk key account: string {{
    level: int = 0;
    score: float = 0.0;
    on Flagged e {{
      level = e.level;
    }}
    on Audited e by e.account {{
      score = e.score;
    }}
    on {sk}.Audited e by e.account {{
      score = (score + e.score) / 2.0;
    }}
  }}
  table Audits key audit_id: string {{
    account: string;
    score: float = 0.0;
    on Audited e {{
      account = e.account;
      score = e.score;
    }}
  }}
  table Totals = from OrderPlaced o
    group by o.account
    select {{
      account: o.account,
      orders: count(),
      spent: sum(o.qty * o.price),
      avg_qty: avg(o.qty)
    }};
  table Hourly = from OrderPlaced o
    window tumbling 1h grace 5m
    group by o.product
    select {{ product: o.product, start: window.start, qty: sum(o.qty) }};
  table OrderOwners = from Orders o
    join Accounts a on a.account == o.account
    select {{ order_id: o.order_id, owner: a.owner, total: o.total }};

  stream BigOrders = from OrderPlaced o
    where o.qty >= 100
    select {{ order_id: o.order_id, qty: o.qty }};
  stream Enriched = from OrderPlaced o
    left join Prices p on p.product == o.product
    select {{ order_id: o.order_id, listed: p.price }};
  stream Matched = from OrderPlaced o
    join {sj}.OrderShipped s on s.order_id == o.order_id within 1h
    select {{ order_id: o.order_id, carrier: s.carrier }};

  // Flag accounts that a neighbour opens with a large credit line.
  on {sj}.Opened e {{
    if e.credit > 1000 {{
      emit Flagged {{ account: e.account, level: 3 }};
    }} else {{
      emit Flagged {{ account: e.account, level: 1 }};
    }}
  }}
  on {sk}.BigOrders b {{
    emit Audited {{ audit_id: b.order_id, account: "{s}", score: float(b.qty) / 2.0 }};
  }}

  command Open(account: string, owner: string, tier: Tier) {{
    require len(owner) > 0 else "owner must not be empty";
    require !exists Accounts[account] else "duplicate account";
    emit Opened {{ account, owner, tier }};
  }}
  command Deposit(account: string, amount: int) {{
    require amount > 0 else "amount must be positive";
    require Accounts[account].open else "account is not open";
    emit Deposited {{ account, amount, note: "deposit " + string(amount) }};
  }}
  command Withdraw(account: string, amount: int) {{
    require amount > 0 else "amount must be positive";
    require Accounts[account].balance >= amount else "insufficient funds";
    require Risk[account].level < 3 else "account is flagged";
    emit Withdrawn {{ account, amount }};
  }}
  command Place(order_id: string, account: string, product: string, qty: int, price: int) {{
    require qty > 0 else "qty must be positive";
    require !exists Orders[order_id] else "duplicate order";
    require Stock[product].level >= qty else "insufficient stock";
    require Prices[product].price <= price || Accounts[account].tier == Gold else "price too low";
    emit OrderPlaced {{ order_id, account, product, qty, price }};
  }}
  command Ship(order_id: string, carrier: string) {{
    require exists Orders[order_id] else "unknown order";
    require !Orders[order_id].shipped else "already shipped";
    emit OrderShipped {{ order_id, carrier, shipped_at: @2024-01-01T00:00:00Z }};
  }}

  query Balance(account: string) = Accounts[account].balance;
  query Order(order_id: string) = Orders[order_id];
  query TopSpenders(n: int) = from Totals t where t.orders > 1 order by t.spent desc limit n;
  query LowStock(limit_to: int) = from Stock s where s.level < 10 order by s.level limit limit_to;
}}
"""

TEST_TEMPLATE = """\
test "{s} takes deposits and orders" {{
  given {s}.StockMoved {{ product: "apple", delta: 50 }} at @2024-01-01T00:00:00Z;
  when {s}.Open {{ account: "ann", owner: "Ann", tier: Basic }} expect accepted;
  when {s}.Deposit {{ account: "ann", amount: 30 }} expect accepted;
  when {s}.Withdraw {{ account: "ann", amount: 40 }} expect rejected "insufficient funds";
  when {s}.Place {{ order_id: "o1", account: "ann", product: "apple", qty: 2, price: 3 }}
    expect accepted;
  expect emitted {s}.OrderPlaced {{ order_id: "o1" }} count 1;
  expect {s}.Balance("ann") == 30;
  expect {s}.Order("o1") matches {{ total: 6 }};
  advance time 2h;
}}
"""


def service_name(i):
    return f"Svc{i:05d}"


def write_service(out, i, count):
    j = (i + count - 1) % count  # the previous service
    k = (i + count - 7) % count  # one further back
    out.write(SERVICE_TEMPLATE.format(i=i, j=j, k=k, s=service_name(i), sj=service_name(j),
                                      sk=service_name(k)))


def generate(outdir, count, per_file):
    os.makedirs(outdir, exist_ok=True)
    parts = []
    for start in range(0, count, per_file):
        name = f"part_{start // per_file:04d}.flow"
        parts.append(name)
        with open(os.path.join(outdir, name), "w", encoding="utf-8") as out:
            out.write(f"// {name} - services {start} to {min(start + per_file, count) - 1}.\n")
            out.write(f"module part_{start // per_file:04d};\n")
            for i in range(start, min(start + per_file, count)):
                out.write("\n")
                write_service(out, i, count)
    with open(os.path.join(outdir, "root.flow"), "w", encoding="utf-8") as out:
        out.write(f"// root.flow - an estate of {count} services in {len(parts)} files.\n")
        out.write("module estate;\n\n")
        for name in parts:
            out.write(f'import "{name}";\n')
        for i in range(0, count, max(1, count // 10)):
            out.write("\n")
            out.write(TEST_TEMPLATE.format(s=service_name(i)))
    return count, len(parts)


def main():
    ap = argparse.ArgumentParser(description="Generate a large, valid Flow estate.")
    ap.add_argument("outdir")
    ap.add_argument("--factor", type=int, default=1, help="size factor: 1000 x N services")
    ap.add_argument("--services", type=int, help="exact number of services (overrides --factor)")
    ap.add_argument("--per-file", type=int, default=100, help="services per file")
    args = ap.parse_args()
    count = args.services if args.services is not None else 1000 * args.factor
    if count < 1 or args.per_file < 1:
        ap.error("--factor, --services and --per-file must be at least 1")
    count, files = generate(args.outdir, count, args.per_file)
    print(f"{args.outdir}: {count} services in {files} files + root.flow", file=sys.stderr)


if __name__ == "__main__":
    main()
