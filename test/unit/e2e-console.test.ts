// The firmware boot test decides "booted" from the serial log; a CI run lost a
// boot because a kernel message landed between the markers.
import { CMDLINE_BEGIN, CMDLINE_END, printedCmdline } from "../e2e/support/initramfs";

const cmdline = "kernel-amd64 initrd=initramfs-amd64.xz talos.platform=metal console=ttyS0,115200n8";

describe("printedCmdline", () => {
  it("reads the line between the markers, with the tty's CRLF line ends", () => {
    expect(printedCmdline(`boot noise\r\n${CMDLINE_BEGIN}\r\n${cmdline}\r\n${CMDLINE_END}\r\n[    2.0] reboot: Power down\r\n`)).toBe(cmdline);
  });

  it("skips kernel log lines that land between the markers", () => {
    const serial = `${CMDLINE_BEGIN}\r\n[    1.998877] random: crng init done\r\n${cmdline}\r\n[    2.000001] x\r\n${CMDLINE_END}\r\n`;
    expect(printedCmdline(serial)).toBe(cmdline);
  });

  it("is undefined until the end marker has arrived", () => {
    expect(printedCmdline(`${CMDLINE_BEGIN}\r\n${cmdline}\r\n`)).toBeUndefined();
    expect(printedCmdline("")).toBeUndefined();
  });

  it("is undefined when the markers hold more than one line of text (a split line is not a command line)", () => {
    expect(printedCmdline(`${CMDLINE_BEGIN}\r\nkernel-amd64 init\r\nrd=x\r\n${CMDLINE_END}\r\n`)).toBeUndefined();
  });
});
