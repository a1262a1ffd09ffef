import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';

/** The source address the kernel would pick for `destination` right now (a connected UDP probe). */
export async function kernelSource(destination: string, port = 9): Promise<string> {
  const sock = dgram.createSocket(isIPv6(destination) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(port, destination, () => resolve());
    });
    const address = sock.address().address;
    if (address === '::' || address === '0.0.0.0') throw new Error(`no source address towards ${destination} (no route?)`);
    return address;
  } catch (e) {
    throw new Error(`no source address towards ${destination}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    sock.close();
  }
}

/** Opens a socket of `type` bound to `address`:`port`; rejects with a message naming the address. */
export async function bindUdp(address: string, port: number): Promise<dgram.Socket> {
  const sock = dgram.createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', (e) => reject(new Error(`cannot bind [${address}]:${port}: ${e.message}`)));
    sock.bind({ address, port, exclusive: true }, () => resolve());
  });
  sock.removeAllListeners('error');
  return sock;
}
