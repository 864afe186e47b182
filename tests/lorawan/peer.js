// A LoRaWAN device and network server built on lora-packet, an implementation
// independent of ours, for tests/integration/lorawan_join.sh.
//
//   node peer.js joinreq KEY JOINEUI DEVEUI DEVNONCE
//     prints the Join-request PHYPayload (hex) with its MIC under KEY
//     (AppKey for 1.0.x, NwkKey for 1.1); EUIs in display order, DevNonce a number.
//   node peer.js rejoinreq TYPE KEY NETID-OR-JOINEUI DEVEUI RJCOUNT
//     prints a Rejoin-request PHYPayload (hex) of RejoinType TYPE (0, 1 or 2)
//     with its MIC as lora-packet computes it: under KEY, the SNwkSIntKey, for
//     types 0 and 2; under the JSIntKey that lora-packet derives from KEY, the
//     NwkKey, for type 1.
//   node peer.js unwrap KEK KEYENVELOPE-JSON
//     prints the key of a KeyEnvelope (RFC 3394 unwrap with KEK unless in clear).
//   node peer.js joinans APPKEY NWKKEY KEK JOINEUI DEVEUI DEVNONCE NETID [REJOINTYPE] < JoinAns
//     decrypts the JoinAns's (or RejoinAns's, with the RJcount as DEVNONCE and
//     its REJOINTYPE: under JSEncKey) Join-accept as the device does, checks its MIC,
//     derives the session keys, unwraps the KeyEnvelopes with KEK (RFC 3394)
//     and prints what it found as JSON.
"use strict";
const crypto = require("crypto");
const lora = require("lora-packet");

const hex = (s) => Buffer.from(s.replace(/^0x/i, ""), "hex");
const u16 = (n) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const wire = (h) => Buffer.from(hex(h)).reverse();

function unwrap(kek, env) {
  if (!env) return null;
  if (!env.KEKLabel) return env.AESKey.toLowerCase();
  const d = crypto.createDecipheriv("id-aes128-wrap", kek, Buffer.from("A6A6A6A6A6A6A6A6", "hex"));
  return Buffer.concat([d.update(hex(env.AESKey)), d.final()]).toString("hex");
}

function joinreq([key, joinEui, devEui, devNonce]) {
  const p = lora.fromFields(
    { MType: "Join Request", AppEUI: hex(joinEui), DevEUI: hex(devEui), DevNonce: u16(Number(devNonce)) },
    undefined, undefined, hex(key));
  process.stdout.write(p.getPHYPayload().toString("hex") + "\n");
}

function rejoinreq([type, key, id, devEui, count]) {
  const t = Number(type);
  const body = Buffer.concat([Buffer.from([0xc0, t]), wire(id), wire(devEui),
    Buffer.from([Number(count) & 0xff, (Number(count) >> 8) & 0xff]), Buffer.alloc(4)]);
  const p = lora.fromWire(body);
  const mic = t === 1
    ? lora.calculateMIC(p, undefined, lora.generateJSKeys(hex(key), hex(devEui)).JSIntKey)
    : lora.calculateMIC(p, hex(key));
  process.stdout.write(Buffer.concat([body.subarray(0, body.length - 4), mic]).toString("hex") + "\n");
}

function joinans([appKey, nwkKey, kek, joinEui, devEui, devNonce, netId, rejoinType]) {
  const ans = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const out = { result: ans.Result.ResultCode };
  if (ans.Result.ResultCode === "Success") {
    const enc = lora.fromWire(hex(ans.PHYPayload));
    // a 1.1 device decrypts with its NwkKey (JSEncKey after a Rejoin); a 1.0.x device has only its AppKey
    const root = hex(nwkKey === "-" ? appKey : nwkKey);
    const js = lora.generateJSKeys(root, hex(devEui));
    const ja = lora.fromWire(lora.decryptJoinAccept(enc, rejoinType === undefined ? root : js.JSEncKey));
    const optNeg = ja.getDLSettingsOptNeg();
    let mic, keys;
    if (optNeg) {
      ja.JoinEUI = hex(joinEui);
      ja.DevNonce = u16(Number(devNonce));
      if (rejoinType !== undefined) ja.JoinReqType = Buffer.from([Number(rejoinType)]);
      mic = lora.verifyMIC(ja, js.JSIntKey);
      const k = lora.generateSessionKeys11(hex(appKey), root, hex(joinEui), ja.AppNonce, u16(Number(devNonce)));
      keys = { FNwkSIntKey: k.FNwkSIntKey, SNwkSIntKey: k.SNwkSIntKey, NwkSEncKey: k.NwkSEncKey, AppSKey: k.AppSKey };
    } else {
      mic = lora.verifyMIC(ja, undefined, root);
      const k = lora.generateSessionKeys10(root, hex(netId), ja.AppNonce, u16(Number(devNonce)));
      keys = { NwkSKey: k.NwkSKey, AppSKey: k.AppSKey };
    }
    const derived = {}, sent = {};
    for (const name of Object.keys(keys)) {
      derived[name] = keys[name].toString("hex");
      sent[name] = unwrap(hex(kek), ans[name]);
    }
    Object.assign(out, {
      mic,
      opt_neg: optNeg,
      join_nonce: ja.AppNonce.readUIntBE(0, 3),
      net_id: ja.NetID.toString("hex"),
      dev_addr: ja.DevAddr.toString("hex"),
      rx_delay: ja.RxDelay.readUInt8(0),
      cflist: ja.CFList.toString("hex"),
      keys_match: JSON.stringify(derived) === JSON.stringify(sent),
      kek_labels: Object.keys(keys).map((n) => ans[n].KEKLabel),
      derived,
    });
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

function unwrapCmd([kek, env]) {
  process.stdout.write(unwrap(hex(kek), JSON.parse(env)) + "\n");
}

const [cmd, ...args] = process.argv.slice(2);
({ joinreq, rejoinreq, joinans, unwrap: unwrapCmd })[cmd](args);
