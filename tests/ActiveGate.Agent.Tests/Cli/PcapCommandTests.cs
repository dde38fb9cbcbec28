using System.Diagnostics;
using System.Text.Json;
using ActiveGate.TestKit;

namespace ActiveGate.Agent.Tests.Cli;

/// <summary><c>activegate pcap decode</c> against Wireshark's dissectors on the team's golden captures.</summary>
public sealed class PcapCommandTests
{
    [Theory]
    [InlineData("lowpan-fcs.pcap")]
    [InlineData("lowpan-nofcs.pcap")]
    public async Task Decode_reports_the_fields_tshark_reports(string capture)
    {
        string path = Path.Combine(RepositoryLayout.SharedReference, "lowpan", capture);
        (int exitCode, string output) = await AgentProcess.RunToEndAsync(["pcap", "decode", path, "--json"]);
        Assert.Equal(0, exitCode);
        JsonElement[] ours = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();

        string[] theirs = await TsharkAsync(path, "frame.number", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport", "coap.code", "coap.mid");
        Assert.Equal(theirs.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++)
        {
            string[] t = theirs[i].Split('\t');
            JsonElement o = ours[i];
            if (t[1].Length > 0)
            {
                Assert.Equal(t[1], o.GetProperty("ipSrc").GetString());
                Assert.Equal(t[2], o.GetProperty("ipDst").GetString());
            }

            if (t[3].Length > 0)
            {
                Assert.Equal(t[3], o.GetProperty("udpSrc").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(t[4], o.GetProperty("udpDst").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            if (t[5].Length > 0)
            {
                int code = int.Parse(t[5], System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal($"{code >> 5}.{code & 31:D2}", o.GetProperty("coapCode").GetString());
                Assert.Equal(t[6], o.GetProperty("coapMid").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    [Fact]
    public async Task A_file_that_is_not_a_capture_is_refused_clearly()
    {
        string path = Path.Combine(AgentProcess.NewScratchDirectory(), "junk.pcap");
        await File.WriteAllTextAsync(path, "this is not a pcap file at all");

        (int exitCode, string output) = await AgentProcess.RunToEndAsync(["pcap", "decode", path]);

        Assert.Equal(1, exitCode);
        Assert.Contains("junk.pcap", output, StringComparison.Ordinal);
    }

    private static async Task<string[]> TsharkAsync(string path, params string[] fields)
    {
        var start = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { "-r", path, "-o", "6lowpan.context0:fd00::/64", "-T", "fields" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string field in fields)
        {
            start.ArgumentList.Add("-e");
            start.ArgumentList.Add(field);
        }

        using Process tshark = Process.Start(start)!;
        string output = await tshark.StandardOutput.ReadToEndAsync();
        await tshark.WaitForExitAsync();
        Assert.Equal(0, tshark.ExitCode);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
