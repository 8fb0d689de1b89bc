#!/usr/bin/env python3
"""Assembler for the VitalGate consent registry contract (hand-written EVM bytecode).

    python3 assemble.py          rewrite registry.runtime.hex, registry.init.hex and the
                                 generated tables in registry.listing.md
    python3 assemble.py --check  exit 1 if any of them differs from what the source below
                                 assembles to (nothing is written)

The source is the two Python lists RUNTIME and INIT below, in the anchor contract's format
(../Anchor/assemble.py, whose assembler, jump check and table writer this script reuses):
("label", name) or (opcode, argument, stack_after, comment). Standard library only.
"""

import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

_spec = importlib.util.spec_from_file_location("anchor_assemble", os.path.join(HERE, "..", "Anchor", "assemble.py"))
asm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(asm)

EVENT_SIGNATURE = "ConsentRecorded(bytes32,bytes32,bytes32,uint256)"
# keccak256(EVENT_SIGNATURE); checked against a keccak implementation when one is importable.
EVENT_TOPIC = bytes.fromhex("793947e1576c008ffcef53927b42f014dd607d054dbbf2f4236a999fbdfe6824")

# The opcodes this contract adds to the anchor's, with their gas as used here ("cold"/"warm"
# after EIP-2929; SSTORE and KECCAK256 depend on the values and sizes, see the listing).
asm.OPCODES.update({
    "ADD": 0x01, "SUB": 0x03, "GT": 0x11, "OR": 0x17, "SHL": 0x1B, "SHR": 0x1C, "KECCAK256": 0x20,
    "MSTORE": 0x52, "SLOAD": 0x54, "SSTORE": 0x55, "SWAP1": 0x90, "SWAP2": 0x91, "LOG4": 0xA4,
})
asm.GAS.update({
    "ADD": 3, "SUB": 3, "GT": 3, "OR": 3, "SHL": 3, "SHR": 3,
    "KECCAK256": "30+6/word", "MSTORE": 3, "SLOAD": "2100 cold, 100 warm", "SSTORE": "see text",
    "SWAP1": 3, "SWAP2": 3, "LOG4": 375 + 4 * 375 + 8 * 32,
    "CALLDATACOPY": "3+3/word+mem", "CODECOPY": "3+3/word+mem",
})

RUNTIME = [
    ("CALLDATASIZE", None, "cds", "calldata length"),
    ("PUSH1", 0x80, "128, cds", "128 = pseudonym(32) + grantee(32) + purpose(32) + terms(32)"),
    ("EQ", None, "cds==128", ""),
    ("CALLVALUE", None, "value, cds==128", "wei sent with the call"),
    ("ISZERO", None, "value==0, cds==128", ""),
    ("AND", None, "ok", ""),
    ("CALLER", None, "caller, ok", "msg.sender"),
    ("PUSH1", 0x00, "0, caller, ok", "slot 0 holds the authority"),
    ("SLOAD", None, "authority, caller, ok", ""),
    ("EQ", None, "caller==authority, ok", ""),
    ("AND", None, "ok", "only the authority writes"),
    ("PUSH1", 0x60, "96, ok", "calldata offset of terms"),
    ("CALLDATALOAD", None, "terms, ok", ""),
    ("PUSH1", 0xFF, "255, terms, ok", ""),
    ("AND", None, "status, ok", "status = last byte of terms"),
    ("PUSH1", 0x01, "1, status, ok", ""),
    ("SWAP1", None, "status, 1, ok", ""),
    ("SUB", None, "status-1, ok", "wraps to 2^256-1 for status 0"),
    ("PUSH1", 0x02, "2, status-1, ok", ""),
    ("GT", None, "status in {1,2}, ok", "2 > status-1: 1 granted, 2 revoked"),
    ("AND", None, "ok", "ok = cds==128 && value==0 && caller==authority && status in {1,2}"),
    ("PUSH1", "@write", "write, ok", "jump target"),
    ("JUMPI", None, "", "if ok goto write"),
    ("PUSH1", 0x00, "0", ""),
    ("DUP1", None, "0, 0", ""),
    ("REVERT", None, "", "revert(0, 0)"),
    ("label", "write"),
    ("JUMPDEST", None, "", "write:"),
    ("PUSH1", 0x60, "96", "length"),
    ("PUSH1", 0x00, "0, 96", "calldata offset"),
    ("PUSH1", 0x00, "0, 0, 96", "memory offset"),
    ("CALLDATACOPY", None, "", "mem[0:96] = pseudonym ‖ grantee ‖ purpose"),
    ("PUSH1", 0x40, "64", ""),
    ("PUSH1", 0x00, "0, 64", ""),
    ("KECCAK256", None, "pairSlot", "pairSlot = keccak256(pseudonym ‖ grantee)"),
    ("DUP1", None, "pairSlot, pairSlot", ""),
    ("SLOAD", None, "count, pairSlot", "writes so far for (pseudonym, grantee)"),
    ("PUSH1", 0x01, "1, count, pairSlot", ""),
    ("ADD", None, "version, pairSlot", "version = count + 1"),
    ("DUP1", None, "version, version, pairSlot", ""),
    ("SWAP2", None, "pairSlot, version, version", ""),
    ("SSTORE", None, "version", "storage[pairSlot] = version"),
    ("PUSH1", 0x60, "96, version", ""),
    ("PUSH1", 0x00, "0, 96, version", ""),
    ("KECCAK256", None, "recordSlot, version", "recordSlot = keccak256(pseudonym ‖ grantee ‖ purpose)"),
    ("SWAP1", None, "version, recordSlot", ""),
    ("PUSH1", 0xC0, "192, version, recordSlot", ""),
    ("SHL", None, "version<<192, recordSlot", "version in the top 8 bytes"),
    ("PUSH1", 0x60, "96, version<<192, recordSlot", ""),
    ("CALLDATALOAD", None, "terms, version<<192, recordSlot", ""),
    ("PUSH1", 0x40, "64, terms, version<<192, recordSlot", ""),
    ("SHL", None, "terms<<64, version<<192, recordSlot", ""),
    ("PUSH1", 0x40, "64, terms<<64, version<<192, recordSlot", ""),
    ("SHR", None, "terms', version<<192, recordSlot", "terms' = terms with its top 8 bytes cleared"),
    ("OR", None, "record, recordSlot", "record = version ‖ terms'[8:32]"),
    ("DUP1", None, "record, record, recordSlot", ""),
    ("SWAP2", None, "recordSlot, record, record", ""),
    ("SSTORE", None, "record", "storage[recordSlot] = record"),
    ("PUSH1", 0x00, "0, record", ""),
    ("MSTORE", None, "", "mem[0:32] = record"),
    ("PUSH1", 0x40, "64", ""),
    ("CALLDATALOAD", None, "purpose", ""),
    ("PUSH1", 0x20, "32, purpose", ""),
    ("CALLDATALOAD", None, "grantee, purpose", ""),
    ("PUSH1", 0x00, "0, grantee, purpose", ""),
    ("CALLDATALOAD", None, "pseudonym, grantee, purpose", ""),
    ("PUSH32", EVENT_TOPIC, "sig, pseudonym, grantee, purpose", "topic0 = keccak256(\"" + EVENT_SIGNATURE + "\")"),
    ("PUSH1", 0x20, "32, sig, pseudonym, grantee, purpose", "data length"),
    ("PUSH1", 0x00, "0, 32, sig, pseudonym, grantee, purpose", "data offset"),
    ("LOG4", None, "", "log4(mem[0:32] = record, sig, pseudonym, grantee, purpose)"),
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
    ("CALLER", None, "deployer", ""),
    ("PUSH1", 0x00, "0, deployer", ""),
    ("SSTORE", None, "", "storage[0] = deployer: the authority"),
    ("PUSH1", "@runtime_length", "len", "runtime length"),
    ("DUP1", None, "len, len", ""),
    ("PUSH1", "@runtime", "off, len, len", "offset of the runtime inside this code"),
    ("PUSH1", 0x00, "0, off, len, len", "memory offset"),
    ("CODECOPY", None, "len", "mem[0:len] = code[off:off+len]"),
    ("PUSH1", 0x00, "0, len", ""),
    ("RETURN", None, "", "return mem[0:len] = runtime code"),
    ("label", "runtime"),
]


def build():
    runtime, runtime_rows = asm.assemble(RUNTIME)
    init_labels, _ = asm.layout(INIT)
    init, init_rows = asm.assemble(INIT, {"runtime_length": len(runtime)})
    assert init_labels["runtime"] == len(init)
    return runtime, init + runtime, runtime_rows, init_rows


def self_test(runtime, init):
    h = asm.keccak256(EVENT_SIGNATURE.encode())
    if h is not None:
        assert h == EVENT_TOPIC, "EVENT_TOPIC is not keccak256(EVENT_SIGNATURE)"
    labels, _ = asm.layout(RUNTIME)
    asm.check_jumps(runtime, [labels["write"]])
    init_labels, _ = asm.layout(INIT)
    asm.check_jumps(init, [init_labels["deploy"]])


def main():
    check = "--check" in sys.argv[1:]
    runtime, init, runtime_rows, init_rows = build()
    self_test(runtime, init)
    section = asm.generated_section(runtime, init, runtime_rows, init_rows, note="")
    return asm.write_files(HERE, "registry", runtime, init, section, check)


if __name__ == "__main__":
    sys.exit(main())
