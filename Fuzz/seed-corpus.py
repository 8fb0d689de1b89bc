#!/usr/bin/env python3
"""Writes the hand-made seeds of the fuzz corpora from files already in the repository:
payload examples, the shipped configuration, and the Ethereum test vectors (CC0, in
Tests/EVMLightClientTests/Vectors). Seeds a target builds with the library itself (signed
fleet documents and notes, simulator streams) come from `FuzzX --write-seeds DIR`, which
scripts/fuzz.sh runs each time. Run from the repository root; files are overwritten."""
import glob, json, os, re

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = os.path.join(root, "Fuzz", "Corpus")

def write(target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(data)

def unhex(text):
    text = text[2:] if text.startswith("0x") else text
    return bytes.fromhex(text)

# JSON: the device payloads of DEVICES.md's shape, control messages, documents.
payloads = {
    "oxipatch-fw1": '{"seq":123,"ts":1763884800123,"spo2":97,"pr":72,"pi":3.1,"batt":88}',
    "oxipatch-fw2": '{"seq":123,"t":"2025-11-23T08:00:00.123456Z","SpO2":{"v":97,"q":0.98},"PR":{"v":72,"q":0.95},"PI":3.1,"battery":88}',
    "cardiostrip": '{"seq":88,"ts":1763884800000,"hr":71,"rr_ms":[845,850,838],"lead_off":false}',
    "cardiostrip-waveform": '{"seq":89,"ts0":1763884800000,"fs":4,"lead":"II","n":4,"uV":"AQABAAEAAQA="}',
    "cuffpro": '{"seq":17,"ts":1763884800000,"sys":118,"dia":76,"map":90,"pr":70,"status":"ok"}',
    "respod": '{"seq":401,"ts":1763884800000,"rr":16,"posture":"supine","fall":false,"acc":[0.01,-0.02,0.98]}',
    "pair": '{"patient":"MRN-00012345","bed":"ICU-3","at":"2026-11-23T08:00:00Z"}',
    "escapes": '{"a\\u00e9\\ud83d\\ude00":"\\"\\\\\\/\\b\\f\\n\\r\\t","n":[-0.0,1e-7,1E+308,12345678901234567890]}',
    "nested": '[[[[{"a":[{"b":null}]}]]]]',
}
for name, text in payloads.items():
    write("FuzzJSON", name + ".json", text)
with open(os.path.join(root, "Config", "fleet-example.json"), "rb") as f:
    write("FuzzJSON", "fleet-example.json", f.read())

# Config file: the shipped, commented file and a few small ones.
with open(os.path.join(root, "Config", "vitalgate.conf"), "rb") as f:
    write("FuzzConfigFile", "vitalgate.conf", f.read())
write("FuzzConfigFile", "small.conf", '[gateway]\nid = "gw-7"\n\n[mqtt]\nbroker = "mqtts://broker.example:8883"\nprotocol = "3.1.1"\n\n[ingest]\ntopics = ["wban/v1/+/+", "wban/v1/OXP-1/#"]\n')
write("FuzzConfigFile", "ledger.conf", '[ledger]\nbackend = "evm"\n\n[ledger.evm]\nendpoint = "http://127.0.0.1:8545"\nchain_id = 1337\ncontract = "0x5FbDB2315678afecb367f032d93F642f64180aa3"\nqbft_validators = ["0x1111111111111111111111111111111111111111"]\n')

def first_item(raw):
    """The first item of the RLP list `raw` (a block's header), as encoded."""
    lead = raw[0]
    offset = 1 if lead <= 0xF7 else 1 + lead - 0xF7
    inner = raw[offset:]
    lead = inner[0]
    if lead <= 0xF7:
        return inner[:1 + lead - 0xC0]
    size = int.from_bytes(inner[1:1 + lead - 0xF7], "big")
    return inner[:1 + lead - 0xF7 + size]

def rlp_bytes(b):
    if len(b) == 1 and b[0] < 0x80:
        return b
    return rlp_length(len(b), 0x80) + b

def rlp_list(items):
    body = b"".join(items)
    return rlp_length(len(body), 0xC0) + body

def rlp_length(n, offset):
    if n < 56:
        return bytes([offset + n])
    encoded = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded

# EVM: selector byte (see FuzzEVM.swift) + input.
vectors = os.path.join(root, "Tests", "EVMLightClientTests", "Vectors", "ethereum")
rlp = json.load(open(os.path.join(vectors, "RLPTests", "rlptest.json")))
for name, case in sorted(rlp.items()):
    write("FuzzEVM", "rlp-" + name, b"\x00" + unhex(case["out"]))
for path in sorted(glob.glob(os.path.join(vectors, "BlockchainTests", "ValidBlocks", "bcExample", "*.json"))):
    for test in json.load(open(path)).values():
        base = os.path.basename(path)[:-5]
        for i, block in enumerate(test["blocks"][:2]):
            raw = unhex(block["rlp"])
            write("FuzzEVM", "block-%s-%d" % (base, i), b"\x02" + raw)
            write("FuzzEVM", "header-%s-%d" % (base, i), b"\x01" + first_item(raw))
        break

trie = json.load(open(os.path.join(vectors, "TrieTests", "trieanyorder.json")))
for name, case in sorted(trie.items()):
    pairs = []
    for k, v in case["in"].items():
        key = unhex(k) if k.startswith("0x") else k.encode()
        value = unhex(v) if v.startswith("0x") else v.encode()
        pairs.append(rlp_list([rlp_bytes(key), rlp_bytes(value)]))
    write("FuzzEVM", "trie-" + name, b"\x05" + rlp_list(pairs))
# EIP-1186 answers (execution-apis, CC0): the proven account leaf (selector 7).
apis = os.path.join(root, "Tests", "EVMLightClientTests", "Vectors", "execution-apis", "eth_getProof")
for path in sorted(glob.glob(os.path.join(apis, "*.io"))):
    line = next(l for l in open(path) if l.startswith("<<"))
    result = json.loads(line[3:])["result"]
    def quantity(q):
        n = int(q, 16)
        return n.to_bytes((n.bit_length() + 7) // 8, "big")
    account = rlp_list([rlp_bytes(quantity(result["nonce"])), rlp_bytes(quantity(result["balance"])),
                        rlp_bytes(unhex(result["storageHash"])), rlp_bytes(unhex(result["codeHash"]))])
    write("FuzzEVM", "account-" + result["address"], b"\x07" + account)  # one per account
print("seeds written under", corpus)
