#!/usr/bin/env python3
"""Self-check of the VitalGate EVM test peer and the anchor contract.

    python3 selfcheck.py [--python PYTHON] [--verbose]

(If the packages of requirements.txt are not importable, it runs setup.sh and re-runs itself
with the interpreter of the venv that setup.sh made.)

Starts evm_peer.py as a subprocess, talks to it over one keep-alive HTTP/1.1 connection,
exercises every RPC method and test control, deploys and calls the anchor contract, and
checks raw headers and receipts with an RLP codec and a Merkle-Patricia trie written here
(independent of py-evm's and of the `trie` package, which it also cross-checks).
Prints one line per check and a summary "N passed, M failed"; exits 0 when all pass.
"""

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    from Crypto.Hash import keccak as _keccak  # pycryptodome
    from eth_account import Account
    from eth_utils import to_checksum_address
except ImportError:
    # Not in the peer's environment: build it with setup.sh and run again inside it.
    if os.environ.get("EVM_PEER_SELFCHECK_REEXEC"):
        raise
    os.environ["EVM_PEER_SELFCHECK_REEXEC"] = "1"
    venv_python = subprocess.run([os.path.join(HERE, "setup.sh")], check=True,
                                 stdout=subprocess.PIPE, text=True).stdout.strip()
    os.execv(venv_python, [venv_python, os.path.abspath(__file__)] + sys.argv[1:])
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
ANCHOR_DIR = os.path.join(ROOT, "Contracts", "Anchor")
CHAIN_ID = 1337
EVENT_SIGNATURE = b"Anchored(address,bytes32,bytes32,uint256)"
GWEI = 10**9


def keccak(b):
    return _keccak.new(digest_bits=256, data=bytes(b)).digest()


# ------------------------------------------------------------- minimal RLP (independent)

def rlp_encode(x):
    if isinstance(x, (bytes, bytearray)):
        x = bytes(x)
        if len(x) == 1 and x[0] < 0x80:
            return x
        return _rlp_len(len(x), 0x80) + x
    if isinstance(x, int):
        return rlp_encode(x.to_bytes((x.bit_length() + 7) // 8, "big") if x else b"")
    payload = b"".join(rlp_encode(i) for i in x)
    return _rlp_len(len(payload), 0xC0) + payload


def _rlp_len(n, offset):
    if n < 56:
        return bytes([offset + n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(b)]) + b


def rlp_decode(b):
    item, rest = _rlp_item(bytes(b))
    if rest:
        raise ValueError("trailing bytes after RLP item")
    return item


def _rlp_item(b):
    p = b[0]
    if p < 0x80:
        return b[:1], b[1:]
    if p < 0xB8:
        n = p - 0x80
        return b[1:1 + n], b[1 + n:]
    if p < 0xC0:
        ln = p - 0xB7
        n = int.from_bytes(b[1:1 + ln], "big")
        return b[1 + ln:1 + ln + n], b[1 + ln + n:]
    if p < 0xF8:
        n, start = p - 0xC0, 1
    else:
        ln = p - 0xF7
        n, start = int.from_bytes(b[1:1 + ln], "big"), 1 + ln
    payload, rest = b[start:start + n], b[start + n:]
    items = []
    while payload:
        it, payload = _rlp_item(payload)
        items.append(it)
    return items, rest


# ------------------------------------------------------------- minimal MPT root (independent)

def _nibbles(b):
    out = []
    for c in b:
        out += [c >> 4, c & 15]
    return out


def _hex_prefix(nibs, leaf):
    flag = 2 if leaf else 0
    if len(nibs) % 2:
        nibs = [flag + 1] + nibs
    else:
        nibs = [flag, 0] + nibs
    return bytes(nibs[i] * 16 + nibs[i + 1] for i in range(0, len(nibs), 2))


def _ref(node):
    enc = rlp_encode(node)
    return node if len(enc) < 32 else keccak(enc)


def _build(items, depth):
    if not items:
        return b""
    if len(items) == 1:
        k, v = items[0]
        return [_hex_prefix(k[depth:], True), v]
    first = items[0][0]
    common = len(first) - depth
    for k, _ in items[1:]:
        i = 0
        while i < common and depth + i < len(k) and k[depth + i] == first[depth + i]:
            i += 1
        common = i
    if common:
        return [_hex_prefix(first[depth:depth + common], False), _ref(_build(items, depth + common))]
    branch = [b""] * 17
    for nib in range(16):
        group = [(k, v) for k, v in items if len(k) > depth and k[depth] == nib]
        if group:
            branch[nib] = _ref(_build(group, depth + 1))
    for k, v in items:
        if len(k) == depth:
            branch[16] = v
    return branch


def ordered_trie_root(values):
    items = sorted((_nibbles(rlp_encode(i)), v) for i, v in enumerate(values))
    return keccak(rlp_encode(_build(items, 0)))


# ------------------------------------------------------------- RPC client

class RPCError(Exception):
    def __init__(self, err):
        super().__init__(err.get("message"))
        self.code = err.get("code")
        self.message = err.get("message")
        self.data = err.get("data")


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.next_id = 1
        self.sockets = set()
        self.requests = 0
        self.timing = {}

    def raw(self, body):
        self.conn.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        if self.conn.sock is not None:
            self.sockets.add(id(self.conn.sock))
        self.requests += 1
        assert resp.status == 200, resp.status
        assert resp.getheader("Content-Length") == str(len(data)), "Content-Length missing/wrong"
        assert resp.getheader("Transfer-Encoding") is None
        return json.loads(data) if data else None

    def call(self, method, *params):
        rid = self.next_id
        self.next_id += 1
        t0 = time.monotonic()
        out = self.raw(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": list(params)}).encode())
        n, tot = self.timing.get(method, (0, 0.0))
        self.timing[method] = (n + 1, tot + time.monotonic() - t0)
        assert out.get("id") == rid and out.get("jsonrpc") == "2.0", out
        if "error" in out:
            raise RPCError(out["error"])
        return out["result"]

    def error(self, method, *params):
        try:
            r = self.call(method, *params)
        except RPCError as e:
            return e
        raise AssertionError(f"{method} succeeded unexpectedly: {r}")


def h(b):
    return "0x" + bytes(b).hex()


def unhex(s):
    return bytes.fromhex(s[2:])


def q(s):
    return int(s, 16)


# ------------------------------------------------------------- the checks

class Check:
    def __init__(self, verbose):
        self.passed, self.failed, self.verbose = 0, 0, verbose
        self.facts = {}

    def ok(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            if self.verbose:
                print(f"  ok   {what}")
        else:
            self.failed += 1
            print(f"  FAIL {what} {detail}")
        return cond

    def eq(self, a, b, what):
        return self.ok(a == b, what, f"(got {a!r}, want {b!r})")


def start_peer(python):
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [python, os.path.join(HERE, "evm_peer.py"), "--port", "0", "--chain-id", str(CHAIN_ID)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )
    line = proc.stdout.readline().decode()
    startup = time.monotonic() - t0
    if not line.startswith("LISTENING "):
        proc.kill()
        raise SystemExit(f"peer did not start: {line!r} {proc.stderr.read().decode()}")
    return proc, int(line.split()[1]), startup


class Wallet:
    def __init__(self, c, key):
        self.c, self.acct = c, Account.from_key(key)
        self.address = self.acct.address.lower()

    def sign(self, to=None, data=b"", value=0, gas=None, nonce=None, max_fee=None, prio=GWEI, chain_id=CHAIN_ID):
        c = self.c
        if nonce is None:
            nonce = q(c.call("eth_getTransactionCount", self.address, "pending"))
        if max_fee is None:
            max_fee = 2 * q(c.call("eth_getBlockByNumber", "latest", False)["baseFeePerGas"]) + prio
        if gas is None:
            call = {"from": self.address, "data": h(data), "value": hex(value)}
            if to:
                call["to"] = to
            gas = q(c.call("eth_estimateGas", call))
        tx = {"type": 2, "chainId": chain_id, "nonce": nonce, "maxFeePerGas": max_fee,
              "maxPriorityFeePerGas": prio, "gas": gas, "value": value, "data": data}
        if to:
            tx["to"] = to_checksum_address(to)
        signed = self.acct.sign_transaction(tx)
        return h(signed.raw_transaction), h(signed.hash)

    def send(self, **kw):
        raw, txh = self.sign(**kw)
        got = self.c.call("eth_sendRawTransaction", raw)
        assert got == txh, (got, txh)
        return txh


def verify_block(chk, c, number, label, expect_receipts_ok=True):
    """Raw header hash == JSON hash (by number and by hash); receipts root from the raw
    receipts (independent trie and `trie` package) == header.receiptsRoot."""
    blk = c.call("eth_getBlockByNumber", hex(number), False)
    raw_header = unhex(c.call("debug_getRawHeader", hex(number)))
    fields = rlp_decode(raw_header)
    chk.eq(h(keccak(raw_header)), blk["hash"], f"{label}: keccak(raw header) == block hash")
    chk.eq(c.call("debug_getRawHeader", blk["hash"]), h(raw_header), f"{label}: raw header by hash == by number")
    chk.eq(c.call("eth_getBlockByHash", blk["hash"], False), blk, f"{label}: block by hash == block by number")
    chk.eq(h(fields[5]), blk["receiptsRoot"], f"{label}: JSON receiptsRoot == raw header field 5")
    chk.eq(int.from_bytes(fields[8], "big"), number, f"{label}: raw header number")
    receipts = [unhex(r) for r in c.call("debug_getRawReceipts", hex(number))]
    chk.eq(len(receipts), len(blk["transactions"]), f"{label}: one raw receipt per transaction")
    root = ordered_trie_root(receipts)
    chk.eq(h(root), h(fields[5]), f"{label}: independent trie root of raw receipts == header.receiptsRoot")
    from trie import HexaryTrie
    t = HexaryTrie({})
    for i, r in enumerate(receipts):
        t[rlp_encode(i)] = r
    chk.eq(t.root_hash, root, f"{label}: `trie` HexaryTrie agrees")
    raw_block = rlp_decode(unhex(c.call("debug_getRawBlock", hex(number))))
    chk.eq(rlp_encode(raw_block[0]), raw_header, f"{label}: debug_getRawBlock header == raw header")
    return blk, fields, receipts


def tokens(data):
    """EIP-7623 calldata tokens: zero bytes + 4 * nonzero bytes (16/4 gas = 4 gas per token)."""
    return data.count(0) + 4 * (len(data) - data.count(0))


def tx_gas(data, execution):
    """Gas of a call transaction under Prague: max(standard, EIP-7623 floor)."""
    return max(21000 + 4 * tokens(data) + execution, 21000 + 10 * tokens(data))


def decode_receipt(raw):
    typ, body = (raw[0], raw[1:]) if raw[0] < 0x80 else (0, raw)
    status, cum, bloom, logs = rlp_decode(body)
    return typ, int.from_bytes(status, "big"), int.from_bytes(cum, "big"), bloom, logs


def run(args):
    chk = Check(args.verbose)
    t_start = time.monotonic()
    proc, port, startup = start_peer(args.python)
    chk.facts["peer start-up (spawn to LISTENING)"] = f"{startup:.2f} s"
    c = Client(port)
    try:
        body(chk, c, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    if args.verbose:
        for m, (n, tot) in sorted(c.timing.items(), key=lambda kv: -kv[1][1]):
            print(f"  {m:28s} {n:4d} calls {tot:7.3f} s  ({1000 * tot / n:.1f} ms each)")
    chk.facts["selfcheck wall time"] = f"{time.monotonic() - t_start:.2f} s"
    return chk


def body(chk, c, proc):
    runtime_hex = open(os.path.join(ANCHOR_DIR, "anchor.runtime.hex")).read().strip()
    init_hex = open(os.path.join(ANCHOR_DIR, "anchor.init.hex")).read().strip()
    topic0 = h(keccak(EVENT_SIGNATURE))

    # --- identity, basics, errors, batch
    chk.eq(c.call("eth_chainId"), hex(CHAIN_ID), "eth_chainId")
    chk.eq(c.call("net_version"), str(CHAIN_ID), "net_version")
    chk.ok(c.call("web3_clientVersion").startswith("vitalgate-evm-peer"), "web3_clientVersion")
    chk.eq(c.call("eth_blockNumber"), "0x0", "eth_blockNumber at genesis")
    chk.eq(c.error("eth_noSuchMethod").code, -32601, "unknown method -> -32601")
    chk.eq(c.raw(b"{not json")["error"]["code"], -32700, "parse error -> -32700")
    batch = c.raw(json.dumps([{"jsonrpc": "2.0", "id": "a", "method": "eth_chainId", "params": []},
                              {"jsonrpc": "2.0", "id": "b", "method": "eth_blockNumber", "params": []}]).encode())
    chk.ok(isinstance(batch, list) and [r["id"] for r in batch] == ["a", "b"], "batch request")
    genesis = c.call("eth_getBlockByNumber", "0x0", False)
    chk.eq(len(rlp_decode(unhex(c.call("debug_getRawHeader", "earliest")))), 21, "header has 21 fields (Prague)")
    chk.eq(c.call("eth_getBlockByNumber", "0x5", False), None, "unknown block -> null")
    chk.eq(c.call("eth_getBlockByHash", h(b"\x11" * 32), False), None, "unknown block hash -> null")
    chk.eq(c.call("eth_getTransactionReceipt", h(b"\x22" * 32)), None, "unknown receipt -> null")
    chk.ok(c.error("debug_getRawHeader", "0x99").code == -32000, "debug_getRawHeader of unknown block -> error")
    chk.ok(len(c.call("test_accounts")) == 10, "test_accounts lists 10 pre-funded accounts")

    # --- funding a fresh key
    client = Wallet(c, b"\x42" * 32)
    fund = c.call("test_fund", client.address, hex(10 * 10**18))
    chk.eq(fund["status"], "0x1", "test_fund mined with status 1")
    chk.eq(c.call("eth_blockNumber"), fund["blockNumber"], "test_fund mined one block")
    chk.eq(q(c.call("eth_getBalance", client.address, "latest")), 10 * 10**18, "eth_getBalance after test_fund")
    chk.eq(c.call("eth_getTransactionCount", client.address, "latest"), "0x0", "eth_getTransactionCount latest")
    chk.eq(c.call("eth_getTransactionCount", client.address, "pending"), "0x0", "eth_getTransactionCount pending")
    chk.eq(c.call("eth_getTransactionReceipt", fund["transactionHash"])["blockHash"], fund["blockHash"], "fund receipt blockHash")
    chk.eq(q(c.call("eth_maxPriorityFeePerGas")), GWEI, "eth_maxPriorityFeePerGas")
    chk.ok(q(c.call("eth_gasPrice")) > 0, "eth_gasPrice")
    fh = c.call("eth_feeHistory", "0x2", "latest", [25, 75])
    chk.ok(len(fh["baseFeePerGas"]) == 3 and len(fh["gasUsedRatio"]) == 2 and len(fh["reward"]) == 2, "eth_feeHistory shape")

    # --- deploy the anchor contract
    chk.eq(c.call("eth_call", {"from": client.address, "data": "0x" + init_hex}), "0x" + runtime_hex, "eth_call of creation code returns runtime")
    deploy = client.send(data=unhex("0x" + init_hex))
    rcpt = c.call("eth_getTransactionReceipt", deploy)
    chk.eq(rcpt["status"], "0x1", "deployment status 1")
    anchor = rcpt["contractAddress"]
    chk.ok(anchor is not None, "deployment receipt has contractAddress")
    chk.eq(c.call("eth_getCode", anchor, "latest"), "0x" + runtime_hex, "eth_getCode == anchor.runtime.hex")
    init = unhex("0x" + init_hex)
    chk.facts["deployment gasUsed"] = q(rcpt["gasUsed"])
    chk.eq(q(rcpt["gasUsed"]), 21000 + 32000 + 4 * tokens(init) + 2 * ((len(init) + 31) // 32) + 55 + 200 * len(unhex("0x" + runtime_hex)),
           "deployment gas = 21000 + 32000 + calldata + initcode words + 55 + 200/byte deposit")
    bad_deploy = client.send(data=unhex("0x" + init_hex), value=1, gas=200000)
    chk.eq(c.call("eth_getTransactionReceipt", bad_deploy)["status"], "0x0", "deployment with value reverts (status 0)")

    # --- anchor calls
    gateway = keccak(b"vitalgate/gateway-0001")
    root = keccak(b"checkpoint root 1")
    size = 1234
    calldata = gateway + root + size.to_bytes(32, "big")
    est = q(c.call("eth_estimateGas", {"from": client.address, "to": anchor, "data": h(calldata)}))
    chk.eq(c.call("eth_call", {"from": client.address, "to": anchor, "data": h(calldata)}), "0x", "eth_call anchor returns empty")
    e = c.error("eth_call", {"from": client.address, "to": anchor, "data": h(calldata[:95])})
    chk.eq(e.code, 3, "eth_call with 95 bytes -> execution reverted (code 3)")
    chk.ok(c.error("eth_estimateGas", {"from": client.address, "to": anchor, "data": h(calldata + b"\x00")}).code == 3,
           "eth_estimateGas with 97 bytes -> execution reverted")
    txh = client.send(to=anchor, data=calldata, gas=est)
    rcpt = c.call("eth_getTransactionReceipt", txh)
    chk.eq(rcpt["status"], "0x1", "anchor call status 1")
    chk.eq(len(rcpt["logs"]), 1, "anchor call emits one log")
    log = rcpt["logs"][0]
    caller_topic = "0x" + "00" * 12 + client.address[2:]
    chk.eq(log["topics"], [topic0, caller_topic, h(gateway)], "log topics = [sig, caller, gatewayId]")
    chk.eq(log["data"], h(root + size.to_bytes(32, "big")), "log data = root ‖ treeSize")
    chk.eq(log["address"], anchor, "log address = anchor contract")
    chk.eq(log["logIndex"], "0x0", "logIndex")
    for k in ("blockHash", "blockNumber", "transactionIndex", "gasUsed", "effectiveGasPrice", "cumulativeGasUsed"):
        chk.ok(k in rcpt, f"receipt has {k}")
    gas_used = q(rcpt["gasUsed"])
    nz = sum(1 for b in calldata if b)
    chk.facts["anchor call gasUsed"] = f"{gas_used} (calldata {nz} nonzero + {96 - nz} zero bytes; eth_estimateGas said {est})"
    chk.eq(gas_used, tx_gas(calldata, 2083), "anchor gas = 21000 + 4 * tokens + 2083 (above the EIP-7623 floor)")
    all_nz = bytes([0xAB]) * 96
    txh_nz = client.send(to=anchor, data=all_nz, gas=60000)
    gas_nz = q(c.call("eth_getTransactionReceipt", txh_nz)["gasUsed"])
    chk.facts["anchor call gasUsed, 96 nonzero bytes"] = f"{gas_nz} (the EIP-7623 floor 21000 + 10 * 384)"
    chk.eq(gas_nz, tx_gas(all_nz, 2083), "anchor gas with 96 nonzero bytes = floor")
    for label, data, value in (("95 bytes", calldata[:95], 0), ("97 bytes", calldata + b"\x01", 0), ("value 1 wei", calldata, 1)):
        r = c.call("eth_getTransactionReceipt", client.send(to=anchor, data=data, value=value, gas=60000))
        chk.eq((r["status"], r["logs"]), ("0x0", []), f"anchor call with {label} reverts (status 0, no logs)")
        chk.eq(q(r["gasUsed"]), tx_gas(data, 35), f"revert gas ({label}) = max(21000 + 4 * tokens + 35, floor)")
        chk.facts[f"reverted call gasUsed, {label}"] = q(r["gasUsed"])
    tx = c.call("eth_getTransactionByHash", txh)
    chk.eq((tx["hash"], tx["to"], tx["input"], tx["type"]), (txh, anchor, h(calldata), "0x2"), "eth_getTransactionByHash")
    raw_mined = c.call("debug_getRawTransaction", txh)
    chk.eq(h(keccak(unhex(raw_mined))), txh, "keccak(raw tx) == tx hash")
    chk.ok(c.error("eth_sendRawTransaction", raw_mined).message.startswith("nonce too low"), "resending a mined tx -> nonce too low")

    # --- raw data a light client verifies
    anchor_block = q(rcpt["blockNumber"])
    blk, fields, receipts = verify_block(chk, c, anchor_block, "anchor block")
    chk.eq(blk["hash"], rcpt["blockHash"], "receipt blockHash == block hash")
    typ, status, cum, bloom, logs = decode_receipt(receipts[q(rcpt["transactionIndex"])])
    chk.eq((typ, status), (2, 1), "raw receipt is typed (0x02) with status 1")
    chk.eq([h(logs[0][0]), [h(t) for t in logs[0][1]], h(logs[0][2])], [anchor, log["topics"], log["data"]], "raw receipt log == JSON log")
    prev = c.call("eth_getBlockByNumber", hex(anchor_block - 1), False)
    chk.eq(h(fields[0]), prev["hash"], "raw header parentHash == previous block hash")
    head = q(c.call("eth_blockNumber"))
    for n in range(0, head + 1):
        b = c.call("eth_getBlockByNumber", hex(n), True)
        raw = unhex(c.call("debug_getRawHeader", hex(n)))
        rs = [unhex(r) for r in c.call("debug_getRawReceipts", hex(n))]
        ok = keccak(raw) == unhex(b["hash"]) and ordered_trie_root(rs) == unhex(b["receiptsRoot"])
        if n:
            ok = ok and b["parentHash"] == c.call("eth_getBlockByNumber", hex(n - 1), False)["hash"]
        chk.ok(ok, f"block {n}: header hash, receipts root, parent link")
    chk.eq(c.call("eth_getBlockByNumber", "latest", False)["number"], hex(head), "latest == head")
    chk.eq(genesis["extraData"], "0x", "genesis extraData unpadded")

    # --- logs
    got = c.call("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "address": anchor, "topics": [topic0, None, h(gateway)]})
    chk.eq([(l["transactionHash"], l["data"]) for l in got], [(txh, log["data"])], "eth_getLogs by address and topics")
    chk.eq(c.call("eth_getLogs", {"fromBlock": "0x0", "topics": [topic0, None, h(root)]}), [], "eth_getLogs non-matching topic")
    chk.eq(len(c.call("eth_getLogs", {"blockHash": blk["hash"]})), 1, "eth_getLogs by blockHash")
    chk.eq(c.call("eth_getStorageAt", anchor, "0x0", "latest"), "0x" + "00" * 32, "eth_getStorageAt (no storage)")

    # --- pool rules with automine off
    chk.eq(c.call("test_setAutoMine", False), False, "test_setAutoMine(false)")
    n0 = q(c.call("eth_getTransactionCount", client.address, "latest"))
    head0 = q(c.call("eth_blockNumber"))
    base = q(c.call("eth_getBlockByNumber", "latest", False)["baseFeePerGas"])
    fee = 2 * base + GWEI
    p1 = client.send(to=anchor, data=calldata, gas=est, nonce=n0, max_fee=fee, prio=GWEI)
    chk.eq(c.call("test_pending"), [p1], "test_pending lists the pending tx")
    chk.eq(c.call("eth_blockNumber"), hex(head0), "automine off: nothing mined")
    chk.eq(q(c.call("eth_getTransactionCount", client.address, "pending")), n0 + 1, "pending nonce counts the pool")
    chk.eq(q(c.call("eth_getTransactionCount", client.address, "latest")), n0, "latest nonce ignores the pool")
    ptx = c.call("eth_getTransactionByHash", p1)
    chk.eq((ptx["blockHash"], ptx["blockNumber"]), (None, None), "pending tx: blockHash/blockNumber null")
    chk.eq(c.call("eth_getTransactionReceipt", p1), None, "pending tx: receipt null")
    raw1, _ = client.sign(to=anchor, data=calldata, gas=est, nonce=n0, max_fee=fee, prio=GWEI)
    chk.eq(c.error("eth_sendRawTransaction", raw1).message, "already known", "resend -> already known")
    raw, _ = client.sign(to=anchor, data=calldata, gas=est, nonce=n0, max_fee=fee * 105 // 100, prio=GWEI * 105 // 100)
    chk.eq(c.error("eth_sendRawTransaction", raw).message, "replacement transaction underpriced", "+5% fees -> replacement underpriced")
    raw, _ = client.sign(to=anchor, data=calldata, gas=est, nonce=n0, max_fee=fee * 2, prio=GWEI)
    chk.eq(c.error("eth_sendRawTransaction", raw).message, "replacement transaction underpriced", "only maxFee bumped -> underpriced")
    p2 = client.send(to=anchor, data=calldata, gas=est, nonce=n0, max_fee=fee * 110 // 100, prio=GWEI * 110 // 100)
    chk.eq(c.call("test_pending"), [p2], "+10% fees replace the pending tx")
    raw, _ = client.sign(to=anchor, data=calldata, gas=est, nonce=n0 - 1)
    chk.ok(c.error("eth_sendRawTransaction", raw).message.startswith("nonce too low"), "nonce too low")
    poor = Wallet(c, b"\x43" * 32)
    raw, _ = poor.sign(to=anchor, data=calldata, gas=est, nonce=0)
    chk.ok(c.error("eth_sendRawTransaction", raw).message.startswith("insufficient funds"), "insufficient funds")
    raw, _ = client.sign(to=anchor, data=calldata, gas=est, nonce=n0 + 1, chain_id=CHAIN_ID + 1)
    chk.ok(c.error("eth_sendRawTransaction", raw).message.startswith("invalid chain id"), "wrong chain id rejected")
    raw, _ = client.sign(to=anchor, data=calldata, gas=21000, nonce=n0 + 1)
    chk.eq(c.error("eth_sendRawTransaction", raw).message, "intrinsic gas too low", "intrinsic gas too low")
    chk.eq(c.call("test_dropPending"), [p2], "test_dropPending returns the dropped hashes")
    chk.eq(c.call("test_pending"), [], "pool empty after test_dropPending")
    chk.eq(c.call("eth_getTransactionByHash", p2), None, "dropped tx unknown")
    chk.eq(q(c.call("eth_getTransactionCount", client.address, "pending")), n0, "pending nonce back after drop")
    p3 = client.send(to=anchor, data=calldata, gas=est, nonce=n0)
    p4 = client.send(to=anchor, data=calldata, gas=est, nonce=n0 + 1)
    legacy = client.acct.sign_transaction({"nonce": n0 + 2, "gasPrice": fee, "gas": 21000, "chainId": CHAIN_ID,
                                           "to": to_checksum_address("0x" + "33" * 20), "value": 5, "data": b""})
    p5 = c.call("eth_sendRawTransaction", h(legacy.raw_transaction))
    chk.eq(p5, h(legacy.hash), "legacy (EIP-155) transaction accepted")
    chk.eq(c.call("test_pending"), [p3, p4, p5], "three pending transactions")
    chk.eq(c.call("test_mine", 1), hex(head0 + 1), "test_mine(1) returns the new head")
    r5 = c.call("eth_getTransactionReceipt", p5)
    chk.eq((r5["type"], r5["status"], r5["transactionIndex"], r5["gasUsed"]), ("0x0", "0x1", "0x2", hex(21000)), "legacy receipt")
    chk.eq(c.call("eth_getTransactionByHash", p5)["type"], "0x0", "legacy transaction type 0")
    chk.eq(q(c.call("eth_getBalance", "0x" + "33" * 20, "latest")), 5, "legacy transfer arrived")
    r3, r4 = c.call("eth_getTransactionReceipt", p3), c.call("eth_getTransactionReceipt", p4)
    chk.ok(r3 and r4 and r3["blockNumber"] == r4["blockNumber"] == hex(head0 + 1), "test_mine includes all pending txs")
    chk.eq((r3["transactionIndex"], r4["transactionIndex"], r4["logs"][0]["logIndex"]), ("0x0", "0x1", "0x1"), "tx and log indexes in a 3-tx block")
    _, _, mixed = verify_block(chk, c, head0 + 1, "block with typed and legacy receipts")
    chk.eq([r[0] for r in mixed], [2, 2, 0xF9], "receipt encodings: 0x02 ‖ rlp, 0x02 ‖ rlp, rlp list")
    chk.eq(c.call("test_mine", 3), hex(head0 + 4), "test_mine(3)")
    chk.eq(c.call("test_pending"), [], "pool empty after mining")
    chk.eq(c.call("test_setAutoMine", True), True, "test_setAutoMine(true)")

    # --- reorg
    anchored = client.send(to=anchor, data=calldata, gas=est)
    ra = c.call("eth_getTransactionReceipt", anchored)
    nonce_before = q(c.call("eth_getTransactionCount", client.address, "latest"))
    head1 = q(c.call("eth_blockNumber"))
    c.call("test_mine", 1)
    old_blocks = {n: c.call("eth_getBlockByNumber", hex(n), False) for n in range(head1 - 1, head1 + 2)}
    rg = c.call("test_reorg", 2)
    chk.eq(len(rg["oldHashes"]), 2, "test_reorg(2): two old hashes")
    chk.eq(len(rg["newHashes"]), 3, "test_reorg(2): three new blocks")
    chk.eq(rg["lostTransactions"], [anchored], "test_reorg reports the lost anchor tx")
    chk.eq(q(c.call("eth_blockNumber")), head1 + 2, "head after reorg = old head + 1")
    chk.eq(rg["head"]["hash"], c.call("eth_getBlockByNumber", "latest", False)["hash"], "reorg head == latest")
    for n in (head1, head1 + 1):
        new = c.call("eth_getBlockByNumber", hex(n), False)
        chk.ok(new["hash"] != old_blocks[n]["hash"], f"block {n} hash changed by reorg")
        chk.eq(new["hash"], rg["newHashes"][n - head1], f"block {n} by number == newHashes")
        chk.eq(c.call("eth_getBlockByHash", old_blocks[n]["hash"], False), None, f"old hash of block {n} unknown")
        chk.eq(c.call("eth_getBlockByHash", new["hash"], False)["hash"], new["hash"], f"new hash of block {n} known")
        chk.ok(c.error("debug_getRawHeader", old_blocks[n]["hash"]).code == -32000, f"raw header of old hash {n} unknown")
        verify_block(chk, c, n, f"reorged block {n}")
    chk.eq(c.call("eth_getBlockByNumber", hex(head1 - 1), False)["hash"], old_blocks[head1 - 1]["hash"], "common ancestor unchanged")
    chk.eq(c.call("eth_getTransactionReceipt", anchored), None, "lost anchor tx: receipt null")
    chk.eq(c.call("eth_getTransactionByHash", anchored), None, "lost anchor tx: unknown")
    chk.eq(q(c.call("eth_getTransactionCount", client.address, "latest")), nonce_before - 1, "nonce rolled back by reorg")
    chk.eq(c.call("eth_getLogs", {"fromBlock": hex(head1), "address": anchor}), [], "no anchor logs after reorg")
    again = client.send(to=anchor, data=calldata, gas=est)
    chk.eq(c.call("eth_getTransactionReceipt", again)["status"], "0x1", "re-anchor after reorg succeeds")
    chk.ok(ra["blockHash"] not in rg["newHashes"], "old receipt block hash gone")

    # --- lie modes
    n_anchor = q(c.call("eth_getTransactionReceipt", again)["blockNumber"])
    c.call("test_mine", 1)  # a successor, so parent-hash linking can be checked
    truth = c.call("eth_getBlockByNumber", hex(n_anchor), True)
    truth_raw = unhex(c.call("debug_getRawHeader", hex(n_anchor)))
    truth_receipts = c.call("debug_getRawReceipts", hex(n_anchor))
    truth_rcpt = c.call("eth_getTransactionReceipt", again)
    plain = c.call("eth_getBlockByNumber", hex(n_anchor - 2), False)  # a block without logs? (reorg blocks are empty)

    chk.eq(c.call("test_lie", "header"), "header", "test_lie(header)")
    raw = unhex(c.call("debug_getRawHeader", hex(n_anchor)))
    chk.ok(keccak(raw) != unhex(truth["hash"]), "lie header: keccak(raw header) != reported hash")
    chk.eq(c.call("eth_getBlockByNumber", hex(n_anchor), True)["hash"], truth["hash"], "lie header: JSON keeps the true hash")
    chk.eq(int.from_bytes(rlp_decode(raw)[11], "big"), q(truth["timestamp"]) + 1, "lie header: timestamp altered")

    chk.eq(c.call("test_lie", "receipts"), "receipts", "test_lie(receipts)")
    rs = [unhex(r) for r in c.call("debug_getRawReceipts", hex(n_anchor))]
    chk.ok(ordered_trie_root(rs) != unhex(truth["receiptsRoot"]), "lie receipts: root mismatch reveals it")
    chk.eq(c.call("debug_getRawHeader", hex(n_anchor)), h(truth_raw), "lie receipts: header is true")
    diff = sum(1 for a, b in zip(b"".join(rs), b"".join(unhex(r) for r in truth_receipts)) if a != b)
    chk.eq(diff, 1, "lie receipts: exactly one byte differs")

    chk.eq(c.call("test_lie", "forged-event"), "forged-event", "test_lie(forged-event)")
    fb = c.call("eth_getBlockByNumber", hex(n_anchor), True)
    fraw = unhex(c.call("debug_getRawHeader", hex(n_anchor)))
    frs = [unhex(r) for r in c.call("debug_getRawReceipts", hex(n_anchor))]
    chk.ok(fb["hash"] != truth["hash"], "forged-event: block hash differs from the truth")
    chk.eq(h(keccak(fraw)), fb["hash"], "forged-event: keccak(raw header) == reported hash (self-consistent)")
    chk.eq(h(ordered_trie_root(frs)), fb["receiptsRoot"], "forged-event: receipts root consistent")
    chk.eq(h(rlp_decode(fraw)[5]), fb["receiptsRoot"], "forged-event: raw header carries the forged root")
    flog = decode_receipt(frs[0])[4][0]
    chk.ok(flog[2][:32] != root and flog[2][32:] == size.to_bytes(32, "big"), "forged-event: first 32 bytes of log data replaced")
    frcpt = c.call("eth_getTransactionReceipt", again)
    chk.eq(frcpt["blockHash"], fb["hash"], "forged-event: receipt reports the forged block hash")
    chk.eq(frcpt["logs"][0]["data"], h(flog[2]), "forged-event: receipt JSON carries the forged data")
    chk.eq(c.call("eth_getBlockByHash", fb["hash"], False)["hash"], fb["hash"], "forged-event: block by forged hash")
    chk.eq([t["blockHash"] for t in fb["transactions"]], [fb["hash"]], "forged-event: tx blockHash forged")
    chk.eq(c.call("eth_getLogs", {"blockHash": fb["hash"]})[0]["data"], h(flog[2]), "forged-event: eth_getLogs forged")
    nxt = c.call("eth_getBlockByNumber", hex(n_anchor + 1), False)
    chk.ok(nxt["parentHash"] != fb["hash"] and nxt["parentHash"] == truth["hash"], "forged-event: next header's parentHash reveals the lie")
    chk.eq(c.call("eth_getBlockByNumber", plain["number"], False)["hash"], plain["hash"], "forged-event: blocks without logs untouched")

    chk.eq(c.call("test_lie", "chain-id"), "chain-id", "test_lie(chain-id)")
    chk.ok(c.call("eth_chainId") != hex(CHAIN_ID) and c.call("net_version") != str(CHAIN_ID), "lie chain-id: eth_chainId/net_version differ")

    chk.eq(c.call("test_lie", "none"), "none", "test_lie(none)")
    chk.eq(c.call("eth_chainId"), hex(CHAIN_ID), "truth restored: chain id")
    chk.eq(c.call("eth_getBlockByNumber", hex(n_anchor), True), truth, "truth restored: block")
    chk.eq(c.call("debug_getRawReceipts", hex(n_anchor)), truth_receipts, "truth restored: receipts")
    chk.eq(c.call("eth_getTransactionReceipt", again), truth_rcpt, "truth restored: receipt")
    chk.eq(c.call("eth_getBlockByHash", fb["hash"], False), None, "truth restored: forged hash unknown")
    chk.eq(c.error("test_lie", "sometimes").code, -32602, "test_lie rejects unknown modes")

    # --- slow node
    chk.eq(c.call("test_delay", 300), 300, "test_delay(300)")
    t0 = time.monotonic()
    c.call("eth_blockNumber")
    dt = time.monotonic() - t0
    chk.ok(dt >= 0.3, f"delayed response took {dt:.3f} s")
    c.call("test_delay", 0)
    t0 = time.monotonic()
    c.call("eth_blockNumber")
    chk.ok(time.monotonic() - t0 < 0.3, "test_delay(0) restores speed")

    # --- keep-alive and shutdown
    chk.eq(len(c.sockets), 1, f"all {c.requests} requests used one keep-alive connection")
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        rc = None
    chk.eq(rc, 0, "SIGTERM: clean exit with status 0")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default=sys.executable, help="interpreter for evm_peer.py")
    ap.add_argument("--verbose", "-v", action="store_true", help="print passing checks too")
    args = ap.parse_args()
    try:
        chk = run(args)
    except Exception:
        import traceback
        traceback.print_exc()
        print("selfcheck: aborted")
        print("0 passed, 1 failed")
        return 1
    for k, v in chk.facts.items():
        print(f"  {k}: {v}")
    print(f"{chk.passed} passed, {chk.failed} failed")
    return 0 if chk.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
