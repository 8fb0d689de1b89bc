#!/usr/bin/env python3
"""Assembler for the VitalGate anchor contract (hand-written EVM bytecode, no compiler).

    python3 assemble.py          rewrite anchor.runtime.hex, anchor.init.hex and the
                                 generated tables in anchor.listing.md
    python3 assemble.py --check  exit 1 if any of them differs from what the source below
                                 assembles to (nothing is written)

The source is the two Python lists RUNTIME and INIT below. Each entry is either
("label", name) or (opcode, argument, stack_after, comment); a PUSH argument is an int,
bytes, or "@label" (the label's byte offset). Standard library only, so it runs anywhere.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

EVENT_SIGNATURE = "Anchored(address,bytes32,bytes32,uint256)"
# keccak256(EVENT_SIGNATURE); checked against a keccak implementation when one is importable.
EVENT_TOPIC = bytes.fromhex("964499b5aa997d8953c200d0ba94ded7cdcd167fe3e62819f065a1fdf1217136")

OPCODES = {
    "STOP": 0x00, "EQ": 0x14, "ISZERO": 0x15, "AND": 0x16,
    "CALLER": 0x33, "CALLVALUE": 0x34, "CALLDATALOAD": 0x35, "CALLDATASIZE": 0x36,
    "CALLDATACOPY": 0x37, "CODECOPY": 0x39,
    "JUMPI": 0x57, "JUMPDEST": 0x5B,
    "PUSH1": 0x60, "PUSH32": 0x7F,
    "DUP1": 0x80,
    "LOG3": 0xA3,
    "RETURN": 0xF3, "REVERT": 0xFD,
}

# Gas of each instruction as used here. The dynamic ones are fixed by this program's constant
# sizes: CALLDATACOPY of 64 bytes into fresh memory = 3 + 3*2 words + 6 (memory 0 -> 2 words);
# LOG3 of 64 bytes = 375 + 3*375 + 8*64; CODECOPY of the 65-byte runtime = 3 + 3*3 words + 9
# (memory 0 -> 3 words); RETURN/REVERT only expand memory already paid for (or none).
GAS = {
    "STOP": 0, "EQ": 3, "ISZERO": 3, "AND": 3, "CALLER": 2, "CALLVALUE": 2,
    "CALLDATALOAD": 3, "CALLDATASIZE": 2, "CALLDATACOPY": 3 + 3 * 2 + 6,
    "CODECOPY": 3 + 3 * 3 + 9, "JUMPI": 10, "JUMPDEST": 1, "PUSH1": 3, "PUSH32": 3,
    "DUP1": 3, "LOG3": 375 + 3 * 375 + 8 * 64, "RETURN": 0, "REVERT": 0,
}
# Execution gas of a successful anchor call (every runtime instruction except the revert
# branch at 0x0a..0x0d); the transaction adds 21000 and the calldata cost.
RUNTIME_SUCCESS_GAS = 2083

# PUSH0 (0x5f) is deliberately not used: it needs Shanghai, and some EVM ledgers
# (e.g. QBFT networks pinned to London/Berlin) reject it.

RUNTIME = [
    ("CALLDATASIZE", None, "cds", "calldata length"),
    ("PUSH1", 0x60, "96, cds", "96 = gatewayId(32) + root(32) + treeSize(32)"),
    ("EQ", None, "cds==96", ""),
    ("CALLVALUE", None, "value, cds==96", "wei sent with the call"),
    ("ISZERO", None, "value==0, cds==96", ""),
    ("AND", None, "ok", "ok = (cds == 96) && (value == 0)"),
    ("PUSH1", "@emit", "emit, ok", "jump target"),
    ("JUMPI", None, "", "if ok goto emit"),
    ("PUSH1", 0x00, "0", ""),
    ("DUP1", None, "0, 0", ""),
    ("REVERT", None, "", "revert(0, 0): wrong length or nonzero value"),
    ("label", "emit"),
    ("JUMPDEST", None, "", "emit:"),
    ("PUSH1", 0x40, "64", "length: root ‖ treeSize"),
    ("PUSH1", 0x20, "32, 64", "calldata offset of root"),
    ("PUSH1", 0x00, "0, 32, 64", "memory offset"),
    ("CALLDATACOPY", None, "", "mem[0:64] = calldata[32:96] = root ‖ treeSize"),
    ("PUSH1", 0x00, "0", ""),
    ("CALLDATALOAD", None, "gatewayId", "calldata[0:32]"),
    ("CALLER", None, "caller, gatewayId", "msg.sender, zero-extended to 32 bytes (left-padded)"),
    ("PUSH32", EVENT_TOPIC, "sig, caller, gatewayId", "topic0 = keccak256(\"" + EVENT_SIGNATURE + "\")"),
    ("PUSH1", 0x40, "64, sig, caller, gatewayId", "data length"),
    ("PUSH1", 0x00, "0, 64, sig, caller, gatewayId", "data offset"),
    ("LOG3", None, "", "log3(mem[0:64], sig, caller, gatewayId)"),
    ("STOP", None, "", "success, no return data"),
]

INIT = [
    ("CALLVALUE", None, "value", "constructor is not payable"),
    ("ISZERO", None, "value==0", ""),
    ("PUSH1", "@deploy", "deploy, value==0", "jump target"),
    ("JUMPI", None, "", "if value == 0 goto deploy"),
    ("PUSH1", 0x00, "0", ""),
    ("DUP1", None, "0, 0", ""),
    ("REVERT", None, "", "revert(0, 0): value sent"),
    ("label", "deploy"),
    ("JUMPDEST", None, "", "deploy:"),
    ("PUSH1", "@runtime_length", "len", "runtime length"),
    ("DUP1", None, "len, len", ""),
    ("PUSH1", "@runtime", "off, len, len", "offset of the runtime inside this code"),
    ("PUSH1", 0x00, "0, off, len, len", "memory offset"),
    ("CODECOPY", None, "len", "mem[0:len] = code[off:off+len]"),
    ("PUSH1", 0x00, "0, len", ""),
    ("RETURN", None, "", "return mem[0:len] = runtime code"),
    ("label", "runtime"),
]


def push_width(op):
    return op_width(op) - 1


def op_width(op):
    code = OPCODES[op]
    return 1 + (code - 0x5F if 0x60 <= code <= 0x7F else 0)


def layout(src):
    labels, pc = {}, 0
    for entry in src:
        if entry[0] == "label":
            labels[entry[1]] = pc
        else:
            pc += op_width(entry[0])
    return labels, pc


def assemble(src, extra_labels=None):
    """-> (code bytes, rows of (offset, bytes, mnemonic, stack, comment))."""
    labels, _ = layout(src)
    labels.update(extra_labels or {})
    code, rows = bytearray(), []
    for entry in src:
        if entry[0] == "label":
            continue
        op, arg, stack, comment = entry
        ins = bytes([OPCODES[op]])
        text = op
        n = push_width(op)
        if n:
            if isinstance(arg, str) and arg.startswith("@"):
                value = labels[arg[1:]]
                imm = value.to_bytes(n, "big")
                text = f"{op} 0x{imm.hex()} ({arg[1:]})"
            elif isinstance(arg, bytes):
                imm = arg.rjust(n, b"\x00")
                text = f"{op} 0x{imm.hex()}"
            else:
                imm = int(arg).to_bytes(n, "big")
                text = f"{op} 0x{imm.hex()}"
            ins += imm
        elif arg is not None:
            raise ValueError(f"{op} takes no argument")
        rows.append((len(code), ins, text, stack, comment, GAS[op]))
        code += ins
    return bytes(code), rows


def build():
    runtime, runtime_rows = assemble(RUNTIME)
    init_labels, _ = layout(INIT)
    init, init_rows = assemble(INIT, {"runtime_length": len(runtime)})
    assert init_labels["runtime"] == len(init)
    return runtime, init + runtime, runtime_rows, init_rows


def check_jumps(code, targets):
    # every jump target must be a JUMPDEST outside PUSH data
    valid, pc = set(), 0
    while pc < len(code):
        op = code[pc]
        if op == 0x5B:
            valid.add(pc)
        pc += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    for t in targets:
        assert t in valid, f"jump target {t} is not a JUMPDEST"


def table(rows, title):
    out = [f"### {title}", "",
           "| offset | bytes | opcode | gas | stack after (top first) | comment |",
           "| --- | --- | --- | --- | --- | --- |"]
    for off, ins, text, stack, comment, gas in rows:
        b = ins.hex()
        if len(b) > 20:
            b = b[:8] + "…" + b[-4:]
        out.append(f"| 0x{off:02x} | `{b}` | `{text}` | {gas} | `[{stack}]` | {comment} |")
    return "\n".join(out) + "\n"


BEGIN = "<!-- BEGIN GENERATED by assemble.py: do not edit by hand -->"
END = "<!-- END GENERATED -->"


def generated_section(runtime, init, runtime_rows, init_rows, note=None):
    """The generated part of a listing; note ends the first paragraph (the anchor's default:
    its success-path gas)."""
    if note is None:
        note = f" Execution gas of a successful anchor call: {RUNTIME_SUCCESS_GAS}."
    return (
        f"{BEGIN}\n\n"
        f"Runtime: {len(runtime)} bytes. Creation code: {len(init) - len(runtime)} bytes of "
        f"constructor followed by the runtime ({len(init)} bytes in all).{note}\n\n"
        + table(init_rows, "Creation code (constructor)") + "\n"
        + f"Followed at offset 0x{len(init) - len(runtime):02x} by the runtime code below.\n\n"
        + table(runtime_rows, "Runtime code") + "\n"
        + f"{END}"
    )


def keccak256(data):
    """keccak256 from whichever implementation is installed (the peer's requirements bring
    both), or None when neither is."""
    try:
        from eth_hash.auto import keccak
        return keccak(data)
    except Exception:
        pass
    try:
        from Crypto.Hash import keccak as k  # pycryptodome
        return k.new(digest_bits=256, data=data).digest()
    except Exception:
        return None


def self_test(runtime, init):
    h = keccak256(EVENT_SIGNATURE.encode())
    if h is not None:
        assert h == EVENT_TOPIC, "EVENT_TOPIC is not keccak256(EVENT_SIGNATURE)"
    labels, _ = layout(RUNTIME)
    check_jumps(runtime, [labels["emit"]])
    init_labels, _ = layout(INIT)
    check_jumps(init, [init_labels["deploy"]])
    _, rows = assemble(RUNTIME)
    revert_branch = range(0x0A, labels["emit"])
    success = sum(r[5] for r in rows if r[0] not in revert_branch)
    assert success == RUNTIME_SUCCESS_GAS, f"success-path gas {success} != {RUNTIME_SUCCESS_GAS}"


def write_files(directory, prefix, runtime, init, section, check):
    """Writes (or with check, compares) PREFIX.runtime.hex, PREFIX.init.hex and the generated
    section of PREFIX.listing.md in directory; -> exit status. Shared with the other contracts'
    assemblers (Contracts/ConsentRegistry/assemble.py)."""
    files = {
        f"{prefix}.runtime.hex": runtime.hex() + "\n",
        f"{prefix}.init.hex": init.hex() + "\n",
    }
    listing_path = os.path.join(directory, f"{prefix}.listing.md")
    listing = open(listing_path, encoding="utf-8").read() if os.path.exists(listing_path) else ""
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if pattern.search(listing):
        new_listing = pattern.sub(lambda _: section, listing)
    else:
        new_listing = listing + ("\n" if listing else "") + section + "\n"
    files[f"{prefix}.listing.md"] = new_listing

    differ = []
    for name, text in files.items():
        path = os.path.join(directory, name)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            differ.append(name)
            if not check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    if check:
        if differ:
            print("assemble.py --check: out of date: " + ", ".join(differ), file=sys.stderr)
            return 1
        print(f"assemble.py --check: ok (runtime {len(runtime)} bytes, init {len(init)} bytes)")
        return 0
    print(f"runtime {len(runtime)} bytes: {runtime.hex()}")
    print(f"init    {len(init)} bytes: {init.hex()}")
    print("wrote " + (", ".join(differ) if differ else "nothing (up to date)"))
    return 0


def main():
    check = "--check" in sys.argv[1:]
    runtime, init, runtime_rows, init_rows = build()
    self_test(runtime, init)
    section = generated_section(runtime, init, runtime_rows, init_rows)
    return write_files(HERE, "anchor", runtime, init, section, check)


if __name__ == "__main__":
    sys.exit(main())
