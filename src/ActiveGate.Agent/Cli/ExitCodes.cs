namespace ActiveGate.Agent.Cli;

/// <summary>Exit codes of the <c>activegate</c> executable (sysexits(3) where one fits).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;

    /// <summary>The agent is not running: nothing answers on the diagnostics socket.</summary>
    public const int AgentNotRunning = 3;

    /// <summary>A remote peer answered with an error (CoAP 4.xx/5.xx, a refused diagnostics request).</summary>
    public const int RemoteError = 4;

    /// <summary>A remote peer did not answer in time.</summary>
    public const int Timeout = 5;

    /// <summary>The DTLS handshake was refused (wrong key, unknown identity, no common cipher suite).</summary>
    public const int DtlsRefused = 6;

    /// <summary>EX_CONFIG: the configuration is invalid.</summary>
    public const int InvalidConfiguration = 78;
}
