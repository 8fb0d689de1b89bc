#!/usr/bin/env python3
"""Validates what the agent delivered as FHIR R4: every resource of every NDJSON file in a
directory (or every entry of Bundles given as files) with the third-party fhir.resources models
(FHIR 4.0.1), then the R4 Vital Signs rules the agent promises (docs/FHIR.md): LOINC codes,
UCUM units, category, subject, effective time, a value or a data-absent reason.

usage: validate_fhir.py DIR_OR_FILE...
prints one JSON object: {"resources": {type: count}, "identifiers": {system|value: count},
"errors": [...], "observations": [...summaries...], "devices": [{identifier, serial}]}; exits 1
if any error.
"""
import json
import pathlib
import sys

import fhir.resources
from fhir.resources import construct_fhir_element

assert fhir.resources.__fhir_version__ == "4.0.1", fhir.resources.__fhir_version__

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
# LOINC code -> the UCUM unit its vital-signs profile requires.
VITAL_UNITS = {
    "8867-4": "/min",   # heart rate
    "2708-6": "%",      # oxygen saturation
    "59408-5": "%",
    "9279-1": "/min",   # respiratory rate
    "8310-5": "Cel",    # body temperature
    "8478-0": "mm[Hg]", # mean arterial pressure
    "8480-6": "mm[Hg]", # systolic
    "8462-4": "mm[Hg]", # diastolic
}
PANEL = "85354-9"


def loinc_codes(concept):
    return [c.get("code") for c in (concept or {}).get("coding", []) if c.get("system") == LOINC]


def check_quantity(where, quantity, codes, errors):
    units = {VITAL_UNITS[c] for c in codes if c in VITAL_UNITS}
    if quantity.get("system") != UCUM:
        errors.append(f"{where}: valueQuantity.system is not UCUM")
    if units and quantity.get("code") not in units:
        errors.append(f"{where}: unit {quantity.get('code')} is not {sorted(units)}")


def check_vital_sign(where, obs, errors):
    categories = [c.get("code") for cat in obs.get("category", []) for c in cat.get("coding", [])]
    if "vital-signs" not in categories:
        return
    codes = loinc_codes(obs.get("code"))
    if not codes:
        errors.append(f"{where}: a vital-signs Observation without a LOINC code")
    for field in ("subject", "effectiveDateTime", "identifier"):
        if field not in obs:
            errors.append(f"{where}: no {field}")
    has_value = "valueQuantity" in obs or "component" in obs
    if has_value == ("dataAbsentReason" in obs):
        errors.append(f"{where}: needs exactly one of a value and a dataAbsentReason")
    if "valueQuantity" in obs:
        check_quantity(where, obs["valueQuantity"], codes, errors)
    if PANEL in codes and "component" in obs:
        component_codes = sorted(c for comp in obs["component"] for c in loinc_codes(comp.get("code")))
        if not set(component_codes) <= {"8480-6", "8462-4"} or not component_codes:
            errors.append(f"{where}: blood pressure components {component_codes}")
        for comp in obs["component"]:
            if "valueQuantity" in comp:
                check_quantity(where, comp["valueQuantity"], loinc_codes(comp.get("code")), errors)


def resources_of(path):
    text = path.read_text()
    if path.suffix == ".ndjson":
        for number, line in enumerate(text.splitlines(), 1):
            yield f"{path.name}:{number}", json.loads(line)
    else:
        bundle = json.loads(text)
        construct_fhir_element("Bundle", bundle)
        for number, entry in enumerate(bundle.get("entry", []), 1):
            yield f"{path.name}#entry{number}", entry["resource"]


def main(arguments):
    paths = []
    for argument in arguments:
        p = pathlib.Path(argument)
        paths += sorted(p.glob("*.ndjson")) if p.is_dir() else [p]
    counts, identifiers, errors, observations, devices = {}, {}, [], [], []
    for path in paths:
        for where, resource in resources_of(path):
            kind = resource.get("resourceType")
            try:
                construct_fhir_element(kind, resource)
            except Exception as error:  # the model's own message names the field
                errors.append(f"{where}: {kind} does not validate: {str(error).splitlines()[:3]}")
                continue
            counts[kind] = counts.get(kind, 0) + 1
            for identifier in resource.get("identifier", []):
                token = f"{identifier.get('system')}|{identifier.get('value')}"
                identifiers[token] = identifiers.get(token, 0) + 1
            if kind == "Observation":
                check_vital_sign(where, resource, errors)
                observations.append({
                    "loinc": loinc_codes(resource.get("code")),
                    "value": resource.get("valueQuantity", {}).get("value"),
                    "absent": "dataAbsentReason" in resource,
                    "subject": resource.get("subject", {}).get("identifier", {}).get("value"),
                    "identifier": (resource.get("identifier") or [{}])[0].get("value"),
                    "interpretation": [c.get("code") for i in resource.get("interpretation", [])
                                       for c in i.get("coding", [])],
                })
            if kind == "Device":
                devices.append({"identifier": (resource.get("identifier") or [{}])[0].get("value"),
                                "serial": resource.get("serialNumber")})
    print(json.dumps({"resources": counts, "identifiers": identifiers, "errors": errors,
                      "observations": observations, "devices": devices}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
