using System.Diagnostics;
using ActiveGate.Ieee802154;
using ActiveGate.Ieee802154.Pcap;
using ActiveGate.Radio.Capture;
using ActiveGate.Radio.Tests.Support;

namespace ActiveGate.Radio.Tests.Capture;

/// <summary>The tap writing into a named pipe, the way Wireshark watches live (<c>wireshark -k -i FIFO</c>).</summary>
public sealed class PcapTapFifoTests
{
    [Fact]
    public async Task Streams_frames_into_a_fifo_and_stops_quietly_when_the_reader_leaves()
    {
        string fifo = Path.Combine(Path.GetTempPath(), $"ag-fifo-{Guid.NewGuid():N}");
        using (Process mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        try
        {
            // Opening either end of a FIFO blocks until the other end opens: start the reader first.
            Task<FileStream> reader = Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0));
            using PcapTap tap = await Task.Run(() => PcapTap.Open(fifo, PcapLinkType.Ieee802154WithFcs)).WaitAsync(TimeSpan.FromSeconds(5));
            FileStream readEnd = await reader.WaitAsync(TimeSpan.FromSeconds(5));

            DateTimeOffset now = DateTimeOffset.UnixEpoch.AddSeconds(1_800_000_000);
            tap.OnFrame(RadioFrameDirection.Out, now, TestFrames.Unicast);
            tap.OnFrame(RadioFrameDirection.In, now.AddMilliseconds(5), TestFrames.Broadcast);

            using (var pcap = new PcapReader(readEnd, leaveOpen: true))
            {
                Assert.Equal(PcapLinkType.Ieee802154WithFcs, pcap.LinkType);
                Assert.True(pcap.TryReadNext(out PcapRecord first));
                Assert.True(pcap.TryReadNext(out PcapRecord second));
                Assert.Equal(TestFrames.Unicast, first.Data[..^2].ToArray());
                Assert.True(Fcs.Verify(second.Data.Span));
                Assert.Equal(now.AddMilliseconds(5), second.Timestamp);
            }

            await readEnd.DisposeAsync(); // Wireshark closed
            for (int i = 0; i < 3 && !tap.Failed; i++)
            {
                tap.OnFrame(RadioFrameDirection.In, now, TestFrames.Broadcast); // EPIPE: the tap gives up, no exception
            }

            Assert.True(tap.Failed);
            Assert.Equal(2, tap.FramesWritten);
        }
        finally
        {
            File.Delete(fifo);
        }
    }
}
