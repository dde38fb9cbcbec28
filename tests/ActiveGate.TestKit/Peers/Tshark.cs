using System.Diagnostics;
using Xunit;

namespace ActiveGate.TestKit.Peers;

/// <summary>Runs the real tshark (Debian package) as an independent decoder of our frames.</summary>
public static class Tshark
{
    /// <summary>Runs <c>tshark -r file -T fields</c> and returns one row of field values per packet.</summary>
    public static IReadOnlyList<string[]> Fields(string pcapPath, IEnumerable<string> options, params string[] fields)
    {
        var psi = new ProcessStartInfo("tshark")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-r");
        psi.ArgumentList.Add(pcapPath);
        foreach (string option in options)
        {
            psi.ArgumentList.Add(option);
        }

        psi.ArgumentList.Add("-T");
        psi.ArgumentList.Add("fields");
        psi.ArgumentList.Add("-E");
        psi.ArgumentList.Add("separator=|");
        foreach (string field in fields)
        {
            psi.ArgumentList.Add("-e");
            psi.ArgumentList.Add(field);
        }

        using Process process = Process.Start(psi)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"tshark failed: {stderr.Result}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('|')).ToArray();
    }
}
