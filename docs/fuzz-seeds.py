# Writes the seed inputs of the milter fuzz targets: python3 docs/fuzz-seeds.py src/test/resources
# (real Postfix command sequences, plus the trailer/header bytes each target reads).
import struct, os, sys
def frame(code, payload=b''):
    return struct.pack('>I', len(payload)+1) + code.encode() + payload
def nul(*s): return b''.join(x.encode()+b'\0' for x in s)
OPTNEG = frame('O', struct.pack('>III', 6, 0x1ff, 0x1fffff))
MACRO_C = frame('D', b'C' + nul('j','mx.example.org','{daemon_name}','smtpd','{client_addr}','192.0.2.10','{client_name}','client.example.net'))
CONNECT4 = frame('C', nul('client.example.net') + b'4' + struct.pack('>H', 52418) + nul('192.0.2.10'))
CONNECT6 = frame('C', nul('[2001:db8::25]') + b'6' + struct.pack('>H', 25) + nul('IPv6:2001:db8::25'))
CONNECT_U = frame('C', nul('localhost') + b'U')
MACRO_H = frame('D', b'H' + nul('{tls_version}','TLSv1.3'))
HELO = frame('H', nul('client.example.net'))
MACRO_M = frame('D', b'M' + nul('{auth_authen}','alice','i','4XbQz1abcd'))
MAIL = frame('M', nul('<alice@example.org>', 'SIZE=1234'))
RCPT = frame('R', nul('<bob@example.net>'))
DATA = frame('T')
HEADER = frame('L', nul('Subject', ' hello 100% there'))
EOH = frame('N')
BODY = frame('B', b'Hello Bob,\r\nthis is a test.\r\n')
EOM = frame('E')
ABORT = frame('A')
QUIT = frame('Q')
QUIT_NC = frame('K')
UNKNOWN = frame('U', nul('XYZZY arg'))
postfix = OPTNEG+MACRO_C+CONNECT4+MACRO_H+HELO+MACRO_M+MAIL+RCPT+DATA+HEADER+EOH+BODY+EOM+ABORT+QUIT
reuse = OPTNEG+MACRO_C+CONNECT6+HELO+MAIL+RCPT+ABORT+QUIT_NC+OPTNEG+CONNECT_U+HELO+UNKNOWN+QUIT
eom_only = OPTNEG+CONNECT4+HELO+MAIL+RCPT+DATA+EOH+EOM+MAIL+RCPT+DATA+EOH+frame('E', b'last chunk\r\n')+QUIT
def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), 'wb').write(data)
root = sys.argv[1]
codec = root + '/org/ptrguard/milter/MilterCodecFuzzTestInputs/decodesFramesAndCommands'
# trailer: chunk byte, frame-limit byte (64 + 16*b)
write(codec, 'seed-postfix-session', postfix + bytes([6, 0x40]))
write(codec, 'seed-reused-connection', reuse + bytes([0xff, 0xff]))
write(codec, 'seed-oversized-length', OPTNEG + struct.pack('>I', 5000) + b'C' + bytes([3, 0]))
write(codec, 'seed-zero-length', OPTNEG + struct.pack('>I', 0) + bytes([0, 0x10]))
# macro limits from the same trailer: 1 + (chunk & 63) pairs (here 4), 32 + 8*b bytes (here 2072)
write(codec, 'seed-macro-limits', OPTNEG + frame('D', b'C' + nul(*['m', 'v'] * 4)) + frame('D', b'C' + nul(*['m', 'v'] * 5))
      + frame('D', b'H' + nul('{x}', 'v' * 2100)) + frame('M', nul(*['a'] * 1025)) + frame('R', nul(*['a'] * 1024)) + bytes([3, 0xff]))
write(codec, 'seed-bad-payloads', frame('O', b'\0\0\0\6') + frame('C', nul('h') + b'4\0') + frame('D', b'C' + nul('odd')) + frame('M') + frame('Z', b'x') + bytes([1, 0x20]))
session = root + '/org/ptrguard/milter/MilterSessionFuzzTestInputs/commandSequences'
# header: tape length, tape; then the milter stream
write(session, 'seed-postfix-session', bytes([0]) + postfix)
write(session, 'seed-reused-connection', bytes([0]) + reuse)
write(session, 'seed-eom-modifications-deferred', bytes([6, 0, 0, 0x08, 0x15, 0x0d, 0x1b]) + eom_only)
write(session, 'seed-reject-at-helo', bytes([4, 0, 0, 0x00, 0x02]) + postfix)
write(session, 'seed-pipelined', bytes([3, 0, 0, 0x40]) + OPTNEG + MACRO_C + CONNECT4 + MACRO_H + HELO + MACRO_M + MAIL)
