#!/usr/bin/env python3
"""VitalGate EVM test peer: a JSON-RPC 2.0 server over HTTP/1.1 wrapping eth-tester's
PyEVMBackend (py-evm, Prague rules), serving raw headers and receipts a light client can
verify, plus test controls (test_*) for automining, dropped transactions, reorgs, a slow
node and lying nodes.  See README.md beside this file.

    python3 evm_peer.py --port 0 --chain-id 1337
    python3 evm_peer.py --port 0 --tls-cert server.crt --tls-key server.key [--client-ca ca.crt]

prints exactly one line "LISTENING <port>" on stdout once it accepts connections. With
--tls-cert it serves HTTPS; with --client-ca it also requires client certificates (mutual TLS).
"""

import argparse
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import rlp
    from eth_tester.backends.pyevm.main import PyEVMBackend
    from eth.exceptions import HeaderNotFound, Revert, TransactionNotFound
    from eth.vm.spoof import SpoofTransaction
    from eth.estimators.gas import binary_gas_search_exact
    from eth._utils.address import generate_contract_address
    from trie import HexaryTrie
    from eth_hash.auto import keccak
except ImportError as e:  # exit status 3: "peer unavailable" (tests may skip on it)
    sys.stderr.write(
        f"evm_peer: missing Python package ({e}); run {os.path.dirname(os.path.abspath(__file__))}"
        "/setup.sh and use the interpreter it prints\n"
    )
    sys.exit(3)

GWEI = 10**9
REPLACEMENT_BUMP_PERCENT = 10
LIE_MODES = ("none", "header", "receipts", "forged-event", "chain-id",
             "account-proof", "storage-proof", "storage-value", "state-root")
BLANK_ROOT = bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
EMPTY_CODE_HASH = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
REORG_EXTRA_DATA = b"vitalgate-reorg"


class RPCError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def invalid_params(msg):
    return RPCError(-32602, msg)


def tx_error(msg):
    return RPCError(-32000, msg)


def revert_error(e):
    data = e.args[0] if e.args and isinstance(e.args[0], bytes) else b""
    return RPCError(3, "execution reverted", data_hex(data))


# ---------------------------------------------------------------- hex helpers

def qty(n):
    return hex(int(n))


def data_hex(b):
    return "0x" + bytes(b).hex()


def h256(b):
    return "0x" + bytes(b).rjust(32, b"\x00").hex()


def parse_qty(v, name="quantity"):
    if isinstance(v, bool):
        raise invalid_params(f"{name}: expected hex quantity")
    if isinstance(v, int):
        if v < 0:
            raise invalid_params(f"{name}: negative")
        return v
    if isinstance(v, str) and v.startswith(("0x", "0X")) and len(v) > 2:
        try:
            return int(v, 16)
        except ValueError:
            pass
    raise invalid_params(f"{name}: expected hex quantity, got {v!r}")


def parse_data(v, name="data", length=None):
    if not isinstance(v, str) or not v.startswith(("0x", "0X")):
        raise invalid_params(f"{name}: expected 0x-prefixed hex")
    s = v[2:]
    if len(s) % 2:
        raise invalid_params(f"{name}: odd-length hex")
    try:
        b = bytes.fromhex(s)
    except ValueError:
        raise invalid_params(f"{name}: invalid hex")
    if length is not None and len(b) != length:
        raise invalid_params(f"{name}: expected {length} bytes, got {len(b)}")
    return b


def parse_address(v, name="address"):
    return parse_data(v, name, 20)


def tx_type(tx):
    return getattr(tx, "type_id", None) or 0


def tx_max_fee(tx):
    return tx.max_fee_per_gas if tx_type(tx) >= 2 else tx.gas_price


def tx_max_priority(tx):
    return tx.max_priority_fee_per_gas if tx_type(tx) >= 2 else tx.gas_price


def effective_gas_price(tx, base_fee):
    if tx_type(tx) >= 2:
        return min(tx.max_fee_per_gas, base_fee + tx.max_priority_fee_per_gas)
    return tx.gas_price


def calldata_floor_gas(data):
    """EIP-7623 (Prague) floor: 21000 + 10 * (zero bytes + 4 * nonzero bytes)."""
    zeros = data.count(0)
    tokens = zeros + 4 * (len(data) - zeros)
    return 21000 + 10 * tokens


# ---------------------------------------------------------------- receipts

def decode_receipt(raw):
    """EIP-2718 receipt bytes -> (type, status, cumulative_gas, bloom_bytes, logs)."""
    if raw[0] < 0x80:  # typed: type byte || rlp(list)
        typ, body = raw[0], raw[1:]
    else:
        typ, body = 0, raw
    status, cum, bloom, logs = rlp.decode(body)
    return typ, int.from_bytes(status, "big"), int.from_bytes(cum, "big"), bloom, logs


def encode_receipt(typ, status, cum, bloom, logs):
    body = rlp.encode([status, cum, bloom, logs])
    return body if typ == 0 else bytes([typ]) + body


def ordered_trie_root(items):
    t = HexaryTrie({})
    for i, item in enumerate(items):
        t[rlp.encode(i)] = item
    return t.root_hash


def hex_prefix_decode(encoded):
    """Compact (hex-prefix) path -> (nibbles, is_leaf)."""
    flag = encoded[0] >> 4
    nibbles = [encoded[0] & 0x0F] if flag & 1 else []
    for b in encoded[1:]:
        nibbles += [b >> 4, b & 0x0F]
    return nibbles, bool(flag & 2)


def trie_proof(db, root, key):
    """EIP-1186 proof of a secure-trie key: the RLP nodes from root toward keccak256(key), root
    first, skipping nodes embedded in their parent (as geth's eth_getProof does). py-trie's own
    get_proof lists embedded nodes too, so the walk is done here over the node database."""
    if root == BLANK_ROOT:
        return []
    path = [n for b in keccak(key) for n in (b >> 4, b & 0x0F)]
    encoded = db[root]
    proof = [encoded]
    node = rlp.decode(encoded)
    while True:
        if len(node) == 17:
            if not path:
                break
            ref, path = node[path[0]], path[1:]
        else:
            nibbles, leaf = hex_prefix_decode(node[0])
            if leaf or path[:len(nibbles)] != nibbles:
                break
            ref, path = node[1], path[len(nibbles):]
        if isinstance(ref, list):
            node = ref
            continue
        if ref == b"":
            break
        encoded = db[ref]
        proof.append(encoded)
        node = rlp.decode(encoded)
    return proof


def flip_last_node(proof):
    """A lying node's proof: one byte of the deepest node changed (the root stays, so the
    answer still starts at the real state root)."""
    if len(proof) < 2:
        return proof
    last = bytearray(proof[-1])
    last[len(last) // 2] ^= 0x01
    return proof[:-1] + [bytes(last)]


class BlockView:
    """What the node says about one canonical block: possibly a (self-consistent) lie."""

    __slots__ = ("block", "header", "hash", "receipts", "forged")

    def __init__(self, block, header, receipts, forged=False):
        self.block = block
        self.header = header
        self.hash = header.hash
        self.receipts = receipts
        self.forged = forged


# ---------------------------------------------------------------- the node

class Node:
    def __init__(self, chain_id):
        self.lock = threading.RLock()
        self.backend = PyEVMBackend()
        self.chain = self.backend.chain
        # eth-tester's chain class has its own chain id; ours is the one on the command line.
        # It is a class attribute read whenever a VM is built (CHAINID opcode included).
        type(self.chain).chain_id = chain_id
        self.chain_id = chain_id
        self.funder = self.backend.account_keys[0]
        self.funder_address = self.funder.public_key.to_canonical_address()
        self.pool = []  # signed py-evm transactions not yet mined, in arrival order
        self.automine = True
        self.lie = "none"
        self.delay_ms = 0
        self._receipts_cache = {}  # real block hash -> tuple of raw receipts
        self._sender_cache = {}  # tx hash -> sender
        self._forged_cache = {}  # real block hash -> BlockView or None
        self._forged_index = {}  # forged hash -> real hash

    # ------------------------------------------------------------ chain access

    def head(self):
        return self.chain.get_canonical_head()

    def canonical_block_by_number(self, n):
        if n < 0 or n > self.head().block_number:
            return None
        return self.chain.get_canonical_block_by_number(n)

    def canonical_block_by_hash(self, h):
        try:
            header = self.chain.get_block_header_by_hash(h)
        except HeaderNotFound:
            header = None
        if header is not None:
            try:
                if self.chain.chaindb.get_canonical_block_hash(header.block_number) == h:
                    return self.chain.get_block_by_hash(h)
            except HeaderNotFound:
                pass
            return None
        if self.lie == "forged-event" and h in self._forged_index:
            return self.canonical_block_by_hash(self._forged_index[h])
        return None

    def block_by_param(self, param, allow_hash=True):
        """Tag, hex number, or (if allow_hash) a 32-byte block hash -> canonical block or None."""
        if isinstance(param, dict):
            if "blockHash" in param:
                return self.canonical_block_by_hash(parse_data(param["blockHash"], "blockHash", 32))
            if "blockNumber" in param:
                return self.block_by_param(param["blockNumber"], allow_hash=False)
            raise invalid_params("block: expected blockHash or blockNumber")
        if param in ("latest", "pending", "safe", "finalized", None):
            return self.head_block()
        if param == "earliest":
            return self.canonical_block_by_number(0)
        if isinstance(param, str) and len(param) == 66 and allow_hash:
            return self.canonical_block_by_hash(parse_data(param, "blockHash", 32))
        return self.canonical_block_by_number(parse_qty(param, "block"))

    def head_block(self):
        return self.chain.get_canonical_block_by_number(self.head().block_number)

    def state_header(self, param):
        block = self.block_by_param(param)
        if block is None:
            raise RPCError(-32000, "header not found")
        return block.header

    def state_at(self, param):
        return self.chain.get_vm(self.state_header(param)).state

    def raw_receipts(self, block):
        key = block.hash
        r = self._receipts_cache.get(key)
        if r is None:
            r = tuple(rc.encode() for rc in block.get_receipts(self.chain.chaindb))
            self._receipts_cache[key] = r
        return r

    def sender(self, tx):
        h = tx.hash
        s = self._sender_cache.get(h)
        if s is None:
            s = tx.sender
            self._sender_cache[h] = s
        return s

    def view(self, block):
        real = BlockView(block, block.header, self.raw_receipts(block))
        if self.lie != "forged-event":
            return real
        if block.hash not in self._forged_cache:
            self._forged_cache[block.hash] = self._forge(real)
        forged = self._forged_cache[block.hash]
        return forged if forged is not None else real

    def _forge(self, real):
        """Replace the first 32 bytes (or fewer) of the block's first non-empty log data by
        their bitwise complement, recompute receiptsRoot and the header hash."""
        receipts = list(real.receipts)
        for i, raw in enumerate(receipts):
            typ, status, cum, bloom, logs = decode_receipt(raw)
            for log in logs:
                data = log[2]
                if data:
                    n = min(32, len(data))
                    log[2] = bytes(b ^ 0xFF for b in data[:n]) + data[n:]
                    receipts[i] = encode_receipt(typ, status, cum, bloom, logs)
                    header = real.header.copy(receipt_root=ordered_trie_root(receipts))
                    self._forged_index[header.hash] = real.block.hash
                    return BlockView(real.block, header, tuple(receipts), forged=True)
        return None

    # ------------------------------------------------------------ JSON shapes

    def header_json(self, header, block_hash):
        return {
            "number": qty(header.block_number),
            "hash": h256(block_hash),
            "parentHash": h256(header.parent_hash),
            "sha3Uncles": h256(header.uncles_hash),
            "miner": data_hex(header.coinbase),
            "stateRoot": h256(header.state_root),
            "transactionsRoot": h256(header.transaction_root),
            "receiptsRoot": h256(header.receipt_root),
            "logsBloom": data_hex(header.bloom.to_bytes(256, "big")),
            "difficulty": qty(header.difficulty),
            "totalDifficulty": "0x0",
            "gasLimit": qty(header.gas_limit),
            "gasUsed": qty(header.gas_used),
            "timestamp": qty(header.timestamp),
            "extraData": data_hex(header.extra_data),
            "mixHash": h256(header.mix_hash),
            "nonce": data_hex(header.nonce),
            "baseFeePerGas": qty(header.base_fee_per_gas),
            "withdrawalsRoot": h256(header.withdrawals_root),
            "blobGasUsed": qty(header.blob_gas_used),
            "excessBlobGas": qty(header.excess_blob_gas),
            "parentBeaconBlockRoot": h256(header.parent_beacon_block_root),
            "requestsHash": h256(header.requests_hash),
        }

    def block_json(self, view, full):
        out = self.header_json(view.header, view.hash)
        block = view.block
        if full:
            out["transactions"] = [
                self.tx_json(tx, view, i) for i, tx in enumerate(block.transactions)
            ]
        else:
            out["transactions"] = [h256(tx.hash) for tx in block.transactions]
        out["uncles"] = []
        out["withdrawals"] = []
        out["size"] = qty(len(rlp.encode(block.copy(header=view.header))))
        return out

    def tx_json(self, tx, view, index):
        typ = tx_type(tx)
        out = {
            "type": qty(typ),
            "hash": h256(tx.hash),
            "nonce": qty(tx.nonce),
            "blockHash": h256(view.hash) if view else None,
            "blockNumber": qty(view.header.block_number) if view else None,
            "transactionIndex": qty(index) if view else None,
            "from": data_hex(self.sender(tx)),
            "to": data_hex(tx.to) if tx.to else None,
            "value": qty(tx.value),
            "gas": qty(tx.gas),
            "input": data_hex(tx.data),
            "r": qty(tx.r),
            "s": qty(tx.s),
        }
        if typ >= 2:
            out["maxFeePerGas"] = qty(tx.max_fee_per_gas)
            out["maxPriorityFeePerGas"] = qty(tx.max_priority_fee_per_gas)
            base = view.header.base_fee_per_gas if view else self.chain.header.base_fee_per_gas
            out["gasPrice"] = qty(effective_gas_price(tx, base) if view else tx.max_fee_per_gas)
        else:
            out["gasPrice"] = qty(tx.gas_price)
        if typ >= 1:
            out["chainId"] = qty(tx.chain_id)
            out["accessList"] = [
                {"address": data_hex(a),
                 "storageKeys": [h256(k.to_bytes(32, "big") if isinstance(k, int) else k) for k in keys]}
                for a, keys in tx.access_list
            ]
            out["yParity"] = qty(tx.y_parity)
            out["v"] = qty(tx.y_parity)
        else:
            out["v"] = qty(tx.v)
            if tx.v >= 35:
                out["chainId"] = qty((tx.v - 35) // 2)
        return out

    def logs_json(self, view, tx_index, first_log_index, logs, tx):
        return [
            {
                "address": data_hex(addr),
                "topics": [h256(t) for t in topics],
                "data": data_hex(data),
                "blockNumber": qty(view.header.block_number),
                "blockHash": h256(view.hash),
                "transactionHash": h256(tx.hash),
                "transactionIndex": qty(tx_index),
                "logIndex": qty(first_log_index + j),
                "removed": False,
            }
            for j, (addr, topics, data) in enumerate(logs)
        ]

    def receipt_json(self, view, index):
        block = view.block
        tx = block.transactions[index]
        prev_cum = 0
        log_index = 0
        for i in range(index):
            _, _, cum_i, _, logs_i = decode_receipt(view.receipts[i])
            prev_cum = cum_i
            log_index += len(logs_i)
        typ, status, cum, bloom, logs = decode_receipt(view.receipts[index])
        sender = self.sender(tx)
        return {
            "type": qty(typ),
            "transactionHash": h256(tx.hash),
            "transactionIndex": qty(index),
            "blockHash": h256(view.hash),
            "blockNumber": qty(view.header.block_number),
            "from": data_hex(sender),
            "to": data_hex(tx.to) if tx.to else None,
            "contractAddress": None if tx.to else data_hex(generate_contract_address(sender, tx.nonce)),
            "cumulativeGasUsed": qty(cum),
            "gasUsed": qty(cum - prev_cum),
            "effectiveGasPrice": qty(effective_gas_price(tx, view.header.base_fee_per_gas)),
            "status": qty(status),
            "logsBloom": data_hex(bloom),
            "logs": self.logs_json(view, index, log_index, logs, tx),
        }

    def find_tx(self, h):
        """-> (block or None, tx, index or None); block None means pending."""
        for tx in self.pool:
            if tx.hash == h:
                return None, tx, None
        try:
            number, index = self.chain.chaindb.get_transaction_index(h)
        except TransactionNotFound:
            return None, None, None
        block = self.canonical_block_by_number(number)
        if block is None or index >= len(block.transactions) or block.transactions[index].hash != h:
            return None, None, None
        return block, block.transactions[index], index

    # ------------------------------------------------------------ mining

    def pending_nonce(self, address):
        n = self.state_at("latest").get_nonce(address)
        mine = {tx.nonce for tx in self.pool if self.sender(tx) == address}
        while n in mine:
            n += 1
        return n

    def _fresh_pending_header(self, parent_header=None, **fields):
        parent_header = parent_header or self.head()
        self.chain.header = self.chain.create_header_from_parent(parent_header, **fields)

    def mine_block(self, only=None):
        """Mine one block on the canonical head. Includes executable pool transactions (or only
        the given transactions, leaving the pool alone). Returns (block, included hashes)."""
        self._fresh_pending_header()
        candidates = list(only) if only is not None else list(self.pool)
        included, dropped = [], []
        done = set()
        expected = {}
        progress = True
        while progress:
            progress = False
            for tx in candidates:
                if tx.hash in done:
                    continue
                sender = self.sender(tx)
                if sender not in expected:
                    expected[sender] = self.chain.get_vm().state.get_nonce(sender)
                if tx.nonce < expected[sender]:
                    dropped.append(tx)
                    done.add(tx.hash)
                    continue
                if tx.nonce != expected[sender]:
                    continue
                header = self.chain.header
                if tx_max_fee(tx) < header.base_fee_per_gas:
                    continue
                if tx.gas > header.gas_limit - header.gas_used:
                    continue
                try:
                    self.chain.apply_transaction(tx)
                except Exception as e:  # permanently invalid now: drop it like a pool would
                    print(f"evm_peer: dropping {tx.hash.hex()}: {e!r}", file=sys.stderr, flush=True)
                    dropped.append(tx)
                    done.add(tx.hash)
                    continue
                expected[sender] += 1
                included.append(tx)
                done.add(tx.hash)
                progress = True
        block = self.chain.mine_block(mix_hash=os.urandom(32))
        if only is None:
            gone = {tx.hash for tx in included} | {tx.hash for tx in dropped}
            self.pool = [tx for tx in self.pool if tx.hash not in gone]
        return block, [tx.hash for tx in included]

    def mine(self, n):
        for _ in range(n):
            self.mine_block()
        return self.head().block_number

    def send_raw(self, raw):
        if not raw:
            raise tx_error("invalid transaction: empty")
        if raw[0] == 3:
            raise tx_error("transaction type not supported: blob transactions")
        try:
            tx = self.chain.get_vm().get_transaction_builder().decode(raw)
        except Exception as e:
            raise tx_error(f"invalid transaction: {e}")
        typ = tx_type(tx)
        try:
            tx.check_signature_validity()
            sender = self.sender(tx)
        except Exception as e:
            raise tx_error(f"invalid sender: {e}")
        if typ >= 1:
            if tx.chain_id != self.chain_id:
                raise tx_error(f"invalid chain id: have {tx.chain_id}, want {self.chain_id}")
        elif tx.v < 35:
            raise tx_error("only replay-protected (EIP-155) transactions allowed over RPC")
        elif (tx.v - 35) // 2 != self.chain_id:
            raise tx_error(f"invalid chain id: have {(tx.v - 35) // 2}, want {self.chain_id}")
        if typ >= 2 and tx.max_priority_fee_per_gas > tx.max_fee_per_gas:
            raise tx_error("max priority fee per gas higher than max fee per gas")
        try:
            tx.validate()
        except Exception as e:
            raise tx_error(f"invalid transaction: {e}")
        h = tx.hash
        if any(p.hash == h for p in self.pool):
            raise tx_error("already known")  # (a mined one fails below with "nonce too low", as in geth)
        head = self.head()
        if tx.gas > head.gas_limit:
            raise tx_error("exceeds block gas limit")
        if tx.gas < max(tx.intrinsic_gas, calldata_floor_gas(tx.data)):
            raise tx_error("intrinsic gas too low")
        state = self.chain.get_vm(head).state
        state_nonce = state.get_nonce(sender)
        if tx.nonce < state_nonce:
            raise tx_error(f"nonce too low: next nonce {state_nonce}, tx nonce {tx.nonce}")
        balance = state.get_balance(sender)
        cost = tx.gas * tx_max_fee(tx) + tx.value
        if cost > balance:
            raise tx_error(
                f"insufficient funds for gas * price + value: address 0x{sender.hex()} "
                f"have {balance} want {cost}"
            )
        for i, old in enumerate(self.pool):
            if self.sender(old) == sender and old.nonce == tx.nonce:
                bump = 100 + REPLACEMENT_BUMP_PERCENT
                if (tx_max_fee(tx) * 100 < tx_max_fee(old) * bump
                        or tx_max_priority(tx) * 100 < tx_max_priority(old) * bump):
                    raise tx_error("replacement transaction underpriced")
                self.pool[i] = tx
                break
        else:
            self.pool.append(tx)
        if self.automine:
            self.mine_block()
        return h

    def fund(self, address, wei):
        builder = self.chain.get_vm().get_transaction_builder()
        base = self.chain.create_header_from_parent(self.head()).base_fee_per_gas
        unsigned = builder.new_unsigned_dynamic_fee_transaction(
            chain_id=self.chain_id,
            nonce=self.state_at("latest").get_nonce(self.funder_address),
            max_priority_fee_per_gas=GWEI,
            max_fee_per_gas=2 * base + GWEI,
            gas=21000,
            to=address,
            value=wei,
            data=b"",
            access_list=(),
        )
        tx = unsigned.as_signed_transaction(self.funder)
        block, included = self.mine_block(only=[tx])
        if tx.hash not in included:
            raise RPCError(-32000, "funding transaction could not be mined")
        view = self.view(block)
        status = decode_receipt(view.receipts[0])[1]
        return {
            "transactionHash": h256(tx.hash),
            "blockNumber": qty(block.number),
            "blockHash": h256(view.hash),
            "status": qty(status),
        }

    def reorg(self, depth):
        head = self.head()
        if depth < 1 or depth > head.block_number:
            raise invalid_params(f"depth must be in 1...{head.block_number}")
        ancestor_number = head.block_number - depth
        ancestor = self.chain.get_canonical_block_header_by_number(ancestor_number)
        old_blocks = [self.chain.get_canonical_block_by_number(n)
                      for n in range(ancestor_number + 1, head.block_number + 1)]
        old_hashes = [b.hash for b in old_blocks]
        lost = [tx.hash for b in old_blocks for tx in b.transactions]
        parent = ancestor
        new_hashes = []
        for _ in range(depth + 1):
            self._fresh_pending_header(parent)
            block = self.chain.mine_block(mix_hash=os.urandom(32), extra_data=REORG_EXTRA_DATA)
            parent = block.header
            new_hashes.append(block.hash)
        new_head = self.head()
        if new_head.hash != parent.hash:
            raise RPCError(-32603, "reorg: fork did not become canonical")
        for n, (o, nw) in enumerate(zip(old_hashes, new_hashes), ancestor_number + 1):
            if o == nw:
                raise RPCError(-32603, f"reorg: hash at {n} unchanged")
        self._fresh_pending_header()
        return {
            "depth": depth,
            "commonAncestor": {"number": qty(ancestor_number), "hash": h256(ancestor.hash)},
            "oldHashes": [h256(x) for x in old_hashes],
            "newHashes": [h256(x) for x in new_hashes],
            "lostTransactions": [h256(x) for x in lost],
            "head": {"number": qty(new_head.block_number), "hash": h256(new_head.hash)},
        }

    # ------------------------------------------------------------ calls

    def _spoof(self, call, header):
        if not isinstance(call, dict):
            raise invalid_params("call object expected")
        sender = parse_address(call["from"], "from") if call.get("from") else b"\x00" * 20
        to = parse_address(call["to"], "to") if call.get("to") else b""
        data = call.get("input", call.get("data"))
        data = parse_data(data, "input") if data else b""
        value = parse_qty(call.get("value", "0x0"), "value")
        gas = parse_qty(call["gas"], "gas") if call.get("gas") else header.gas_limit
        vm = self.chain.get_vm(header)
        # py-evm runs calls and estimates in a "costless" state (base fee 0) that expects a
        # legacy-style gas_price, so the spoofed call is a legacy transaction with price 0.
        unsigned = vm.create_unsigned_transaction(
            nonce=vm.state.get_nonce(sender),
            gas_price=0,
            gas=gas,
            to=to,
            value=value,
            data=data,
        )
        return SpoofTransaction(unsigned, from_=sender)

    def eth_call(self, call, tag):
        header = self.state_header(tag)
        spoof = self._spoof(call, header)
        try:
            return self.chain.get_transaction_result(spoof, header)
        except Revert as e:
            raise revert_error(e)
        except Exception as e:
            raise RPCError(-32000, f"execution failed: {e}")

    def estimate_gas(self, call, tag):
        header = self.state_header(tag)
        spoof = self._spoof(call, header)
        try:
            with self.chain.get_vm(header).in_costless_state() as state:
                gas = binary_gas_search_exact(state, spoof)
        except Revert as e:
            raise revert_error(e)
        except Exception as e:
            raise RPCError(-32000, f"gas required exceeds allowance or execution failed: {e}")
        return max(gas, calldata_floor_gas(spoof.data))

    # ------------------------------------------------------------ logs

    def get_logs(self, flt):
        if not isinstance(flt, dict):
            raise invalid_params("filter object expected")
        if flt.get("blockHash"):
            b = self.canonical_block_by_hash(parse_data(flt["blockHash"], "blockHash", 32))
            if b is None:
                raise RPCError(-32000, "unknown block")
            blocks = [b]
        else:
            head_n = self.head().block_number
            def num(v, default):
                if v is None:
                    return default
                if v in ("latest", "pending", "safe", "finalized"):
                    return head_n
                if v == "earliest":
                    return 0
                return parse_qty(v, "block")
            lo = num(flt.get("fromBlock"), head_n)
            hi = min(num(flt.get("toBlock"), head_n), head_n)
            if hi - lo > 10000:
                raise RPCError(-32005, "query returned more than 10000 blocks")
            blocks = [self.chain.get_canonical_block_by_number(n) for n in range(lo, hi + 1)]
        addrs = flt.get("address")
        if isinstance(addrs, str):
            addrs = [addrs]
        addrs = {parse_address(a) for a in addrs} if addrs else None
        topic_filter = []
        for t in flt.get("topics") or []:
            if t is None:
                topic_filter.append(None)
            elif isinstance(t, list):
                topic_filter.append({parse_data(x, "topic", 32) for x in t} if t else None)
            else:
                topic_filter.append({parse_data(t, "topic", 32)})
        out = []
        for block in blocks:
            view = self.view(block)
            log_index = 0
            for i, raw in enumerate(view.receipts):
                logs = decode_receipt(raw)[4]
                tx = block.transactions[i]
                for entry in self.logs_json(view, i, log_index, logs, tx):
                    addr, topics = bytes.fromhex(entry["address"][2:]), entry["topics"]
                    ok = addrs is None or addr in addrs
                    if ok:
                        for k, allowed in enumerate(topic_filter):
                            if allowed is None:
                                continue
                            if k >= len(topics) or bytes.fromhex(topics[k][2:]) not in allowed:
                                ok = False
                                break
                    if ok:
                        out.append(entry)
                log_index += len(logs)
        return out

    # ------------------------------------------------------------ fee history

    def fee_history(self, count, newest, percentiles):
        count = parse_qty(count, "blockCount")
        if not 1 <= count <= 1024:
            raise invalid_params("blockCount must be in 1...1024")
        newest_block = self.block_by_param(newest, allow_hash=False)
        if newest_block is None:
            raise RPCError(-32000, "block not found")
        hi = newest_block.number
        lo = max(0, hi - count + 1)
        base, ratio, reward = [], [], []
        for n in range(lo, hi + 1):
            b = self.chain.get_canonical_block_by_number(n)
            hd = b.header
            base.append(qty(hd.base_fee_per_gas))
            ratio.append(hd.gas_used / hd.gas_limit)
            if percentiles:
                receipts = self.raw_receipts(b)
                tips, prev = [], 0
                for tx, raw in zip(b.transactions, receipts):
                    cum = decode_receipt(raw)[2]
                    tips.append((effective_gas_price(tx, hd.base_fee_per_gas) - hd.base_fee_per_gas, cum - prev))
                    prev = cum
                tips.sort()
                row = []
                for p in percentiles:
                    if not tips:
                        row.append("0x0")
                        continue
                    threshold = hd.gas_used * float(p) / 100
                    acc, pick = 0, tips[-1][0]
                    for tip, g in tips:
                        acc += g
                        if acc >= threshold:
                            pick = tip
                            break
                    row.append(qty(pick))
                reward.append(row)
        last = self.chain.get_canonical_block_header_by_number(hi)
        base.append(qty(self.chain.create_header_from_parent(last).base_fee_per_gas))
        out = {"oldestBlock": qty(lo), "baseFeePerGas": base, "gasUsedRatio": ratio}
        if percentiles:
            out["reward"] = reward
        return out

    def get_proof(self, address, slots, param):
        """eth_getProof (EIP-1186) from the state database, with the lies the tests ask for."""
        header = self.state_header(param)
        if self.lie == "state-root" and header.block_number > 0:
            # The state of the block before, answered as if it were the block asked for.
            header = self.chain.get_canonical_block_by_number(header.block_number - 1).header
        db = self.chain.chaindb.db
        account_rlp = HexaryTrie(db, header.state_root)[keccak(address)]
        if account_rlp:
            nonce, balance, storage_root, code_hash = rlp.decode(account_rlp)
            nonce, balance = int.from_bytes(nonce, "big"), int.from_bytes(balance, "big")
        else:
            nonce, balance, storage_root, code_hash = 0, 0, BLANK_ROOT, EMPTY_CODE_HASH
        account_proof = trie_proof(db, header.state_root, address)
        if self.lie == "account-proof":
            account_proof = flip_last_node(account_proof)
        storage = []
        for slot in slots:
            key = slot.to_bytes(32, "big")
            raw = HexaryTrie(db, storage_root)[keccak(key)] if storage_root != BLANK_ROOT else b""
            value = int.from_bytes(rlp.decode(raw), "big") if raw else 0
            proof = trie_proof(db, storage_root, key)
            if self.lie == "storage-proof":
                proof = flip_last_node(proof)
            if self.lie == "storage-value":
                value ^= 0x03  # e.g. a revocation (status 2) answered as a grant (status 1)
            storage.append({"key": h256(key), "value": qty(value), "proof": [data_hex(n) for n in proof]})
        return {
            "address": data_hex(address), "accountProof": [data_hex(n) for n in account_proof],
            "balance": qty(balance), "codeHash": h256(code_hash), "nonce": qty(nonce),
            "storageHash": h256(storage_root), "storageProof": storage,
        }

    # ------------------------------------------------------------ dispatch

    def reported_chain_id(self):
        return self.chain_id + 1 if self.lie == "chain-id" else self.chain_id

    def call(self, method, params):
        p = params if isinstance(params, list) else ([] if params is None else None)
        if p is None:
            raise invalid_params("params must be an array")

        def arg(i, default=KeyError):
            if i < len(p):
                return p[i]
            if default is KeyError:
                raise invalid_params(f"missing parameter {i}")
            return default

        m = method
        if m == "web3_clientVersion":
            return "vitalgate-evm-peer/py-evm"
        if m == "eth_chainId":
            return qty(self.reported_chain_id())
        if m == "net_version":
            return str(self.reported_chain_id())
        if m == "eth_syncing":
            return False
        if m == "eth_blockNumber":
            return qty(self.head().block_number)
        if m in ("eth_getBlockByNumber", "eth_getBlockByHash"):
            if m == "eth_getBlockByHash":
                block = self.canonical_block_by_hash(parse_data(arg(0), "blockHash", 32))
            else:
                block = self.block_by_param(arg(0), allow_hash=False)
            if block is None:
                return None
            return self.block_json(self.view(block), bool(arg(1, False)))
        if m == "debug_getRawHeader":
            block = self.block_by_param(arg(0))
            if block is None:
                raise RPCError(-32000, "header not found")
            header = self.view(block).header
            if self.lie == "header":
                header = header.copy(timestamp=header.timestamp + 1)
            return data_hex(rlp.encode(header))
        if m == "debug_getRawReceipts":
            block = self.block_by_param(arg(0))
            if block is None:
                raise RPCError(-32000, "block not found")
            receipts = list(self.view(block).receipts)
            if self.lie == "receipts":
                receipts = self._tamper_receipts(receipts)
            return [data_hex(r) for r in receipts]
        if m == "debug_getRawBlock":
            block = self.block_by_param(arg(0))
            if block is None:
                raise RPCError(-32000, "block not found")
            return data_hex(rlp.encode(block.copy(header=self.view(block).header)))
        if m == "debug_getRawTransaction":
            _, tx, _ = self.find_tx(parse_data(arg(0), "hash", 32))
            return data_hex(tx.encode()) if tx is not None else None
        if m == "eth_getTransactionCount":
            address = parse_address(arg(0))
            tag = arg(1, "latest")
            if tag == "pending":
                return qty(self.pending_nonce(address))
            return qty(self.state_at(tag).get_nonce(address))
        if m == "eth_getBalance":
            return qty(self.state_at(arg(1, "latest")).get_balance(parse_address(arg(0))))
        if m == "eth_getCode":
            return data_hex(self.state_at(arg(1, "latest")).get_code(parse_address(arg(0))))
        if m == "eth_getStorageAt":
            slot = parse_qty(arg(1), "slot") if not (isinstance(arg(1), str) and len(arg(1)) == 66) else int(arg(1), 16)
            v = self.state_at(arg(2, "latest")).get_storage(parse_address(arg(0)), slot)
            return h256(v.to_bytes(32, "big"))
        if m == "eth_getProof":
            keys = arg(1)
            if not isinstance(keys, list):
                raise invalid_params("storage keys must be an array")
            slots = [int(k, 16) if isinstance(k, str) and len(k) == 66 else parse_qty(k, "storage key") for k in keys]
            return self.get_proof(parse_address(arg(0)), slots, arg(2, "latest"))
        if m == "eth_sendRawTransaction":
            return h256(self.send_raw(parse_data(arg(0), "transaction")))
        if m == "eth_getTransactionByHash":
            block, tx, index = self.find_tx(parse_data(arg(0), "hash", 32))
            if tx is None:
                return None
            return self.tx_json(tx, self.view(block) if block else None, index)
        if m == "eth_getTransactionReceipt":
            block, tx, index = self.find_tx(parse_data(arg(0), "hash", 32))
            if block is None:
                return None
            return self.receipt_json(self.view(block), index)
        if m == "eth_maxPriorityFeePerGas":
            return qty(GWEI)
        if m == "eth_gasPrice":
            return qty(self.chain.create_header_from_parent(self.head()).base_fee_per_gas + GWEI)
        if m == "eth_feeHistory":
            return self.fee_history(arg(0), arg(1, "latest"), arg(2, None))
        if m == "eth_estimateGas":
            return qty(self.estimate_gas(arg(0), arg(1, "latest")))
        if m == "eth_call":
            return data_hex(self.eth_call(arg(0), arg(1, "latest")))
        if m == "eth_getLogs":
            return self.get_logs(arg(0))
        # ---- test controls
        if m == "test_fund":
            return self.fund(parse_address(arg(0)), parse_qty(arg(1), "wei"))
        if m == "test_setAutoMine":
            v = arg(0)
            if not isinstance(v, bool):
                raise invalid_params("expected a boolean")
            self.automine = v
            return v
        if m == "test_mine":
            n = parse_qty(arg(0, 1), "n")
            if n > 10000:
                raise invalid_params("n too large")
            return qty(self.mine(n))
        if m == "test_dropPending":
            dropped = [h256(tx.hash) for tx in self.pool]
            self.pool = []
            return dropped
        if m == "test_pending":
            return [h256(tx.hash) for tx in self.pool]
        if m == "test_reorg":
            return self.reorg(parse_qty(arg(0), "depth"))
        if m == "test_lie":
            mode = arg(0)
            if mode not in LIE_MODES:
                raise invalid_params(f"mode must be one of {', '.join(LIE_MODES)}")
            self.lie = mode
            return mode
        if m == "test_delay":
            ms = parse_qty(arg(0), "ms")
            self.delay_ms = ms
            return ms
        if m == "test_accounts":
            return [data_hex(k.public_key.to_canonical_address()) for k in self.backend.account_keys]
        raise RPCError(-32601, f"the method {method} does not exist/is not available")

    def _tamper_receipts(self, receipts):
        for i, raw in enumerate(receipts):
            typ, status, cum, bloom, logs = decode_receipt(raw)
            for log in logs:
                if log[2]:
                    log[2] = bytes([log[2][0] ^ 0x01]) + log[2][1:]
                    receipts[i] = encode_receipt(typ, status, cum, bloom, logs)
                    return receipts
        return receipts

    def handle(self, req):
        """One JSON-RPC request object -> response object (None for notifications)."""
        rid = None
        try:
            if not isinstance(req, dict) or not isinstance(req.get("method"), str):
                raise RPCError(-32600, "invalid request")
            rid = req.get("id")
            with self.lock:
                result = self.call(req["method"], req.get("params"))
            resp = {"jsonrpc": "2.0", "id": rid, "result": result}
        except RPCError as e:
            err = {"code": e.code, "message": e.message}
            if e.data is not None:
                err["data"] = e.data
            resp = {"jsonrpc": "2.0", "id": rid, "error": err}
        except Exception as e:  # a bug in the peer; keep serving
            import traceback
            traceback.print_exc(file=sys.stderr)
            resp = {"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": f"internal error: {e!r}"}}
        if isinstance(req, dict) and "id" not in req:
            return None
        return resp


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vitalgate-evm-peer"
    sys_version = ""
    node = None
    verbose = False

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("evm_peer: " + (fmt % args) + "\n")

    def setup(self):
        super().setup()
        # Small request/response pairs on a keep-alive connection: without TCP_NODELAY
        # Nagle + delayed ACK add ~40 ms to every call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(self.connection, ssl.SSLSocket):
            # The TLS handshake runs here, in the connection's thread, not in the accept loop
            # (a client that never completes it must not stall the others).
            self.connection.do_handshake()

    def _send(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # headers and body in one write (one TCP segment for small responses)
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = self.headers.get("Content-Length")
        if length is None:
            return None
        return self.rfile.read(int(length))

    def do_POST(self):
        body = self._read_body()
        if body is None:
            self.close_connection = True
            return self._send(411, b"Content-Length required\n", "text/plain")
        delay = self.node.delay_ms
        try:
            req = json.loads(body)
        except ValueError:
            resp = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
        else:
            if isinstance(req, list):
                if not req:
                    resp = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "empty batch"}}
                else:
                    resp = [r for r in (self.node.handle(x) for x in req) if r is not None]
            else:
                resp = self.node.handle(req)
        if delay:
            time.sleep(delay / 1000.0)
        if resp is None or resp == []:
            return self._send(200, b"")
        self._send(200, json.dumps(resp, separators=(",", ":")).encode())

    def do_GET(self):
        self._send(405, b"POST JSON-RPC requests to /\n", "text/plain")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A refused TLS handshake (wrong CA, no client certificate) is expected in tests: one line.
        error = sys.exc_info()[1]
        if isinstance(error, (ssl.SSLError, ConnectionError)):
            sys.stderr.write(f"evm_peer: connection from {client_address[0]} dropped: {error}\n")
        else:
            super().handle_error(request, client_address)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--chain-id", type=int, default=1337)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--verbose", action="store_true", help="log each HTTP request to stderr")
    ap.add_argument("--exit-on-stdin-eof", action="store_true",
                    help="exit when standard input closes (the parent died)")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM); needs --tls-key")
    ap.add_argument("--tls-key", help="the private key of --tls-cert (PEM)")
    ap.add_argument("--client-ca", help="require client certificates signed by this CA (PEM; mutual TLS)")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key) or (args.client_ca and not args.tls_cert):
        ap.error("--tls-cert and --tls-key go together; --client-ca needs them")

    node = Node(args.chain_id)
    Handler.node = node
    Handler.verbose = args.verbose
    httpd = Server((args.host, args.port), Handler)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            context.load_verify_locations(args.client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)

    def stop(signum, frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_on_stdin_eof:
        def watch():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except Exception:
                pass
            stop(None, None)
        threading.Thread(target=watch, daemon=True).start()

    print(f"LISTENING {httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever(poll_interval=0.05)
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
