using System.Net;
using System.Net.Sockets;
using ActiveGate.Radio.SlipRadio;
using ActiveGate.Radio.Tests.Support;
using ActiveGate.Radio.Transport;

namespace ActiveGate.Radio.Tests.Transport;

/// <summary>The slip-radio link over TCP (like Cooja's serial socket on port 60001), against a loopback listener.</summary>
public sealed class TcpStreamConnectorTests
{
    [Fact]
    public async Task Comes_up_over_tcp_and_reconnects_after_the_server_drops_the_connection()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var options = new SlipRadioOptions { ReconnectInitialDelay = TimeSpan.FromMilliseconds(20), InterFrameGap = TimeSpan.Zero };
        await using var link = new SlipRadioLink(new TcpStreamConnector("127.0.0.1", port), options);
        Assert.Equal($"tcp://127.0.0.1:{port}", link.Description);
        Task init = link.InitializeAsync(CancellationToken.None).AsTask();

        using (TcpClient first = await listener.AcceptTcpClientAsync())
        {
            NetworkStream stream = first.GetStream();
            Assert.Equal("C0C03F4DC0", Convert.ToHexString(await ReadAtLeastAsync(stream, 5))); // lone END, then ?M
            await stream.WriteAsync(Convert.FromHexString("C0214D00124B00060DB2A1C0"));
            await TestFrames.WithTimeout(init);
            Assert.Equal(0x00124B00060DB2A1UL, link.ExtendedAddress);
        }

        // The server hung up: the link notices, reconnects and asks again.
        using TcpClient second = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(5));
        NetworkStream again = second.GetStream();
        Assert.Equal("C0C03F4DC0", Convert.ToHexString(await ReadAtLeastAsync(again, 5)));
        Assert.NotEqual(RadioLinkState.Up, link.State);
        await again.WriteAsync(Convert.FromHexString("C0214D00124B00060DB2A2C0"));
        await TestFrames.WaitUntilAsync(() => link.State == RadioLinkState.Up);
        Assert.Equal(0x00124B00060DB2A2UL, link.ExtendedAddress);
        Assert.Equal(2, link.GetStatistics().Connects);
    }

    private static async Task<byte[]> ReadAtLeastAsync(NetworkStream stream, int count)
    {
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        return buffer;
    }
}
