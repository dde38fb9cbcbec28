using ActiveGate.Agent.Devices;
using ActiveGate.Devices;
using ActiveGate.Proxy.Interworking;

namespace ActiveGate.Agent.Proxy;

/// <summary>Carries out the platform's switching commands on the mesh devices.</summary>
public sealed class DeviceSwitchActuator(DevicesService devices) : ISwitchActuator
{
    public async Task<bool?> SwitchAsync(SwitchCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        DeviceManager? manager = devices.Manager;
        if (manager is null)
        {
            return null;
        }

        SwitchResult result = await manager.SwitchAsync(command.DeviceId, command.Channel, command.On, cancellationToken).ConfigureAwait(false);
        return result.RelayOn;
    }
}
