namespace ActiveGate.Simulator.Tests;

/// <summary>
/// The simulated board byte by byte on its pty, without the Radio library (which shares the slip-radio
/// codec with the simulator): the expected bytes are written out by hand from the protocol description.
/// </summary>
public sealed class RadioBoardBytesTests
{
    [Fact]
    public async Task Speaks_slip_radio_byte_for_byte()
    {
        await using Simulation sim = Simulation.Create(new SimulatorOptions { Plugs = 0, Dins = 0 });
        await sim.StartAsync(CancellationToken.None);
        await using var port = new FileStream(sim.DevicePath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);

        Assert.Equal("C0214D00124B0000000001C0", await ExchangeAsync(port, "C03F4DC0")); // ?M -> !M eui64
        Assert.Equal("C021560001001AC0", await ExchangeAsync(port, "3F560001C0")); // ?V channel -> 26 (host style: trailing END only)
        await port.WriteAsync(Convert.FromHexString("C021560001000FC0")); // !V channel 15
        Assert.Equal("C021560001000FC0", await ExchangeAsync(port, "C03F560001C0"));
        await port.WriteAsync(Convert.FromHexString("C021560002BEEFC0")); // !V PAN 0xBEEF
        Assert.Equal("C021560002BEEFC0", await ExchangeAsync(port, "C03F560002C0"));

        // !S sid=5, no attributes, a broadcast data frame: nobody else on the air, still OK after 1 transmission.
        Assert.Equal("C0215205" + "0001C0", await ExchangeAsync(port, "C0215305" + "00" + "41D801EFBEFFFF0100000000004B1200" + "7A3B3A1A9BC0"));
        // Anything the firmware does not know.
        Assert.Equal("C045556E6B6E6F776E20636F6D6D616E64C0", await ExchangeAsync(port, "C02158C0")); // "EUnknown command"
    }

    private static async Task<string> ExchangeAsync(FileStream port, string hex)
    {
        await port.WriteAsync(Convert.FromHexString(hex));
        var received = new List<byte>();
        byte[] buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        // Read until a complete frame (leading END, content, trailing END) is in.
        while (received.Count < 3 || received[^1] != 0xC0 || received.Count(b => b == 0xC0) < 2)
        {
            int n = await port.ReadAsync(buffer).AsTask().WaitAsync(timeout.Token);
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        return Convert.ToHexString([.. received]);
    }
}
