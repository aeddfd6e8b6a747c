#!/usr/bin/env python3
"""make-lab.py [OUT_DIR]: write the import lab, one small domain, twice:
lab.ldif as `ldapsearch -H ldap://dc01.corp.example.com -b
DC=corp,DC=example,DC=com` prints it (comment headers, binary values in
base64, lines folded at 78 columns, the referral and result trailer), and
sharphound/{users,computers,groups}.json as a SharpHound collection of the
same domain. Deterministic: the files in this directory are its output.

The lab (the expected paths to SQL01$ follow from docs/rules.md):
  svc-web     constrained to MSSQLSvc/sql01 (SQL01$), Kerberos only (D4)
  svc-app     the same, trusted to authenticate for delegation (D4, D6)
  WEB01$      trusted for delegation (unconstrained: D1, L5)
  DC01$       a domain controller: trusted for delegation too
  APP02$      allowed to act by SQL01$'s security descriptor (D5)
  svc-files   constrained to cifs/fs02: FS02$ (HOST/fs02) only
  svc-backup  constrained to an SPN nobody holds (a note)
  svc-old     trusted for delegation but disabled (left out)
  admin       NOT_DELEGATED; carol in Protected Users; dan in Tier0
              Admins, itself in Protected Users (sensitive, nested)
  OU=Servers  a record the import does not read (reported, skipped)
"""
import base64
import json
import os
import struct
import sys
import uuid

DOMAIN_DN = "DC=corp,DC=example,DC=com"
DNS = "corp.example.com"
DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"

NORMAL, WORKSTATION, SERVER = 0x200, 0x1000, 0x2000
DONT_EXPIRE = 0x10000
DISABLE, TRUSTED, NOT_DELEGATED, T2A4D = 0x2, 0x80000, 0x100000, 0x1000000


def sid_bytes(sid):
    parts = sid.split("-")
    subs = [int(x) for x in parts[3:]]
    return (struct.pack("<BB", int(parts[1]), len(subs)) +
            int(parts[2]).to_bytes(6, "big") +
            b"".join(struct.pack("<I", s) for s in subs))


def rbcd_descriptor(allowed_sids):
    """O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SID)...: self-relative, as
    Set-ADComputer -PrincipalsAllowedToDelegateToAccount writes it."""
    owner = sid_bytes("S-1-5-32-544")
    aces = b""
    for sid in allowed_sids:
        s = sid_bytes(sid)
        aces += struct.pack("<BBHI", 0, 0, 8 + len(s), 0x000F01FF) + s
    acl = struct.pack("<BBHHH", 4, 0, 8 + len(aces), len(allowed_sids), 0) + aces
    owner_off = 20
    dacl_off = owner_off + len(owner)
    return (struct.pack("<BBHIIII", 1, 0, 0x8004, owner_off, 0, 0, dacl_off) +
            owner + acl)


def guid(name):
    return uuid.uuid5(uuid.NAMESPACE_DNS, name + "." + DNS).bytes_le


def rid_sid(rid):
    return f"{DOMAIN_SID}-{rid}"


# name, rid, container, uac, extra
USERS = [
    ("Administrator", 500, "CN=Users", NORMAL | DONT_EXPIRE, {}),
    ("krbtgt", 502, "CN=Users", NORMAL | DISABLE, {
        "servicePrincipalName": ["kadmin/changepw"]}),
    ("alice", 1104, "CN=Users", NORMAL, {}),
    ("bob", 1105, "CN=Users", NORMAL, {}),
    ("admin", 1106, "CN=Users", NORMAL | DONT_EXPIRE | NOT_DELEGATED, {}),
    ("carol", 1107, "CN=Users", NORMAL, {}),
    ("dan", 1108, "CN=Users", NORMAL, {}),
    ("svc-web", 1110, "OU=Service Accounts", NORMAL | DONT_EXPIRE, {
        "servicePrincipalName": [f"HTTP/intranet.{DNS}", "HTTP/intranet"],
        "msDS-AllowedToDelegateTo": [f"MSSQLSvc/sql01.{DNS}:1433",
                                     f"MSSQLSvc/sql01.{DNS}"]}),
    ("svc-app", 1111, "OU=Service Accounts",
     NORMAL | DONT_EXPIRE | T2A4D, {
         "servicePrincipalName": [f"HTTP/app.{DNS}"],
         "msDS-AllowedToDelegateTo": [f"MSSQLSvc/sql01.{DNS}:1433"]}),
    ("svc-files", 1113, "OU=Service Accounts", NORMAL | DONT_EXPIRE, {
        "servicePrincipalName": [f"HTTP/files.{DNS}"],
        "msDS-AllowedToDelegateTo": [f"cifs/fs02.{DNS}", "cifs/FS02"]}),
    ("svc-old", 1114, "OU=Service Accounts",
     NORMAL | DONT_EXPIRE | TRUSTED | DISABLE, {
         "servicePrincipalName": [f"HTTP/legacy.{DNS}"]}),
    ("svc-backup", 1116, "OU=Service Accounts", NORMAL | DONT_EXPIRE, {
        "servicePrincipalName": [f"HTTP/backup.{DNS}"],
        "msDS-AllowedToDelegateTo": [f"MSSQLSvc/oldsql.{DNS}:1433"]}),
]

COMPUTERS = [
    ("DC01", 1000, "OU=Domain Controllers", SERVER | TRUSTED,
     ["ldap", "GC", "HOST", "RestrictedKrbHost"], {}),
    ("WEB01", 1101, "OU=Servers", WORKSTATION | TRUSTED,
     ["HOST", "RestrictedKrbHost"], {}),
    ("SQL01", 1102, "OU=Servers", WORKSTATION,
     ["HOST", "RestrictedKrbHost"], {
         "servicePrincipalName": [f"MSSQLSvc/sql01.{DNS}:1433",
                                  f"MSSQLSvc/sql01.{DNS}"],
         "rbcd": [rid_sid(1103)]}),
    ("APP02", 1103, "OU=Servers", WORKSTATION,
     ["HOST", "RestrictedKrbHost"], {}),
    ("FS02", 1115, "OU=Servers", WORKSTATION,
     ["HOST", "RestrictedKrbHost"], {}),
]

# name, rid, container, members (names), member of (names)
GROUPS = [
    ("Domain Admins", 512, "CN=Users", ["Administrator", "admin"], []),
    ("Protected Users", 525, "CN=Users", ["carol", "Tier0 Admins"], []),
    ("SQL Admins", 1120, "CN=Users", ["bob"], []),
    ("Tier0 Admins", 1121, "CN=Users", ["dan"], ["Protected Users"]),
]


def dn_of(name):
    for n, _, cont, *_ in USERS:
        if n == name:
            return f"CN={n},{cont},{DOMAIN_DN}"
    for n, _, cont, *_ in COMPUTERS:
        if n == name:
            return f"CN={n},{cont},{DOMAIN_DN}"
    for n, _, cont, *_ in GROUPS:
        if n == name:
            return f"CN={n},{cont},{DOMAIN_DN}"
    raise KeyError(name)


def member_of(name):
    return [dn_of(g) for g, _, _, members, _ in GROUPS if name in members]


def fold(line):
    """ldapsearch folds at 78 columns: continuation lines start with a
    space."""
    out = [line[:78]]
    rest = line[78:]
    while rest:
        out.append(" " + rest[:77])
        rest = rest[77:]
    return "\n".join(out)


def value_line(attr, value):
    if isinstance(value, bytes):
        return fold(f"{attr}:: {base64.b64encode(value).decode()}")
    if (not value.isascii() or value[:1] in (" ", ":", "<") or
            value.endswith(" ")):
        return fold(f"{attr}:: {base64.b64encode(value.encode()).decode()}")
    return fold(f"{attr}: {value}")


def entry(comment, attrs):
    lines = [f"# {comment}"]
    for attr, values in attrs:
        for v in values if isinstance(values, list) else [values]:
            lines.append(value_line(attr, v))
    return "\n".join(lines) + "\n"


def comment_of(dn):
    parts = [p.split("=", 1)[1] for p in dn.split(",")]
    dcs = [p.split("=", 1)[1] for p in dn.split(",") if p.startswith("DC=")]
    rdns = parts[:len(parts) - len(dcs)]
    return ", ".join(rdns + [".".join(dcs)])


def ldif():
    out = ["# extended LDIF\n#\n# LDAPv3\n"
           f"# base <{DOMAIN_DN}> with scope subtree\n"
           "# filter: (|(objectClass=user)(objectClass=group)"
           "(objectClass=organizationalUnit))\n"
           "# requesting: ALL\n#\n"]
    n = 0
    for name, rid, cont, uac, extra in USERS:
        dn = dn_of(name)
        attrs = [("dn", dn),
                 ("objectClass", ["top", "person", "organizationalPerson",
                                  "user"]),
                 ("cn", name), ("distinguishedName", dn),
                 ("objectGUID", guid(name)),
                 ("userAccountControl", str(uac)),
                 ("primaryGroupID", "513"),
                 ("objectSid", sid_bytes(rid_sid(rid))),
                 ("sAMAccountName", name),
                 ("sAMAccountType", "805306368"),
                 ("userPrincipalName", f"{name}@{DNS}")]
        if member_of(name):
            attrs.append(("memberOf", member_of(name)))
        for k in ("servicePrincipalName", "msDS-AllowedToDelegateTo"):
            if k in extra:
                attrs.append((k, extra[k]))
        out.append(entry(comment_of(dn), attrs))
        n += 1
    for name, rid, cont, uac, classes, extra in COMPUTERS:
        dn = dn_of(name)
        spns = list(extra.get("servicePrincipalName", []))
        for c in classes:
            spns += [f"{c}/{name.lower()}.{DNS}", f"{c}/{name}"]
        attrs = [("dn", dn),
                 ("objectClass", ["top", "person", "organizationalPerson",
                                  "user", "computer"]),
                 ("cn", name), ("distinguishedName", dn),
                 ("objectGUID", guid(name)),
                 ("userAccountControl", str(uac)),
                 ("primaryGroupID", "516" if uac & SERVER else "515"),
                 ("objectSid", sid_bytes(rid_sid(rid))),
                 ("sAMAccountName", name + "$"),
                 ("sAMAccountType", "805306369"),
                 ("dNSHostName", f"{name.lower()}.{DNS}"),
                 ("servicePrincipalName", spns)]
        if "rbcd" in extra:
            attrs.append(("msDS-AllowedToActOnBehalfOfOtherIdentity",
                          rbcd_descriptor(extra["rbcd"])))
        out.append(entry(comment_of(dn), attrs))
        n += 1
    for name, rid, cont, members, parents in GROUPS:
        dn = dn_of(name)
        attrs = [("dn", dn), ("objectClass", ["top", "group"]),
                 ("cn", name), ("member", [dn_of(m) for m in members]),
                 ("distinguishedName", dn), ("objectGUID", guid(name)),
                 ("objectSid", sid_bytes(rid_sid(rid))),
                 ("sAMAccountName", name),
                 ("sAMAccountType", "268435456"),
                 ("groupType", "-2147483646")]
        if parents:
            attrs.append(("memberOf", [dn_of(p) for p in parents]))
        out.append(entry(comment_of(dn), attrs))
        n += 1
    ou = f"OU=Servers,{DOMAIN_DN}"
    out.append(entry(comment_of(ou), [
        ("dn", ou), ("objectClass", ["top", "organizationalUnit"]),
        ("ou", "Servers"), ("distinguishedName", ou),
        ("objectGUID", guid("ou-servers"))]))
    n += 1
    out.append("# search reference\n" + fold(
        f"ref: ldap://ForestDnsZones.{DNS}/DC=ForestDnsZones,{DOMAIN_DN}") +
        "\n")
    out.append("# search result\nsearch: 2\nresult: 0 Success\n")
    out.append(f"# numResponses: {n + 2}\n# numEntries: {n}\n"
               "# numReferences: 1\n")
    return "\n".join(out)


def props(name, dn, sam):
    return {"domain": DNS.upper(), "name": f"{name.upper()}@{DNS.upper()}",
            "distinguishedname": dn.upper(), "domainsid": DOMAIN_SID,
            "samaccountname": sam}


def sharphound():
    meta = lambda kind, n: {"methods": 46067, "type": kind, "count": n,
                            "version": 5}
    sid_of = {}
    for name, rid, *_ in USERS + COMPUTERS + GROUPS:
        sid_of[name] = rid_sid(rid)
    users = []
    for name, rid, cont, uac, extra in USERS:
        p = props(name, dn_of(name), name)
        p.update({"enabled": not uac & DISABLE,
                  "unconstraineddelegation": bool(uac & TRUSTED),
                  "trustedtoauth": bool(uac & T2A4D),
                  "sensitive": bool(uac & NOT_DELEGATED),
                  "hasspn": bool(extra.get("servicePrincipalName")),
                  "serviceprincipalnames": extra.get(
                      "servicePrincipalName", []),
                  "allowedtodelegate": extra.get(
                      "msDS-AllowedToDelegateTo", [])})
        users.append({"AllowedToDelegate": [], "PrimaryGroupSID":
                      rid_sid(513), "HasSIDHistory": [], "SPNTargets": [],
                      "Properties": p, "Aces": [],
                      "ObjectIdentifier": sid_of[name], "IsDeleted": False,
                      "IsACLProtected": False})
    computers = []
    for name, rid, cont, uac, classes, extra in COMPUTERS:
        p = props(name, dn_of(name), name + "$")
        p["name"] = f"{name}.{DNS}".upper()
        spns = list(extra.get("servicePrincipalName", []))
        for c in classes:
            spns += [f"{c}/{name.lower()}.{DNS}", f"{c}/{name}"]
        p.update({"enabled": not uac & DISABLE,
                  "unconstraineddelegation": bool(uac & TRUSTED),
                  "trustedtoauth": bool(uac & T2A4D),
                  "serviceprincipalnames": spns,
                  "allowedtodelegate": [],
                  "operatingsystem": "Windows Server 2022 Standard"})
        computers.append({
            "AllowedToAct": [{"ObjectIdentifier": s, "ObjectType":
                              "Computer"} for s in extra.get("rbcd", [])],
            "AllowedToDelegate": [], "PrimaryGroupSID": rid_sid(515),
            "Properties": p, "Aces": [], "ObjectIdentifier": sid_of[name],
            "IsDeleted": False, "Status": None})
    groups = []
    for name, rid, cont, members, parents in GROUPS:
        groups.append({
            "Properties": props(name, dn_of(name), name),
            "Members": [{"ObjectIdentifier": sid_of[m], "ObjectType":
                         "Group" if any(m == g[0] for g in GROUPS) else
                         "User"} for m in members],
            "Aces": [], "ObjectIdentifier": sid_of[name],
            "IsDeleted": False})
    # An entry SharpHound writes that the import cannot use: no SID.
    users.append({"Properties": {"name": "NT AUTHORITY@" + DNS.upper(),
                                 "domain": DNS.upper()},
                  "ObjectIdentifier": None})
    return {"users": {"data": users, "meta": meta("users", len(users))},
            "computers": {"data": computers,
                          "meta": meta("computers", len(computers))},
            "groups": {"data": groups, "meta": meta("groups", len(groups))}}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    with open(os.path.join(out, "lab.ldif"), "w") as f:
        f.write(ldif())
    os.makedirs(os.path.join(out, "sharphound"), exist_ok=True)
    for kind, doc in sharphound().items():
        with open(os.path.join(out, "sharphound",
                               f"20240611093000_{kind}.json"), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
