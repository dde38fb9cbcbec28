using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Rpl.Messages;
using Microsoft.Extensions.Logging;

namespace ActiveGate.SixLowpan.Rpl.Root;

/// <summary>DAO processing: the part of the root that builds downward routes.</summary>
public sealed partial class RplRoot
{
    private bool HandleDao(in RplReceiveContext context, RplDao dao)
    {
        var joined = new List<RplNodeInfo>();
        var changed = new List<(RplNodeInfo Node, Ipv6Address? Previous)>();
        var left = new List<RplNodeInfo>();
        byte status = RplDaoAck.StatusAccepted;
        bool accepted;
        lock (_gate)
        {
            _stats = _stats with { DaosReceived = _stats.DaosReceived + 1 };
            accepted = dao.InstanceId == _options.InstanceId && (dao.DodagId is null || dao.DodagId == _options.DodagId);
            if (!accepted)
            {
                _stats = _stats with { DaosRejected = _stats.DaosRejected + 1 };
            }
            else
            {
                DateTimeOffset now = _time.GetUtcNow();
                TouchByAddress(context.Source);
                foreach ((RplTargetOption target, TransitInformationOption transit) in Group(dao.Options))
                {
                    if (target.Target.Length != 128)
                    {
                        // Prefix targets (external routes) are not routed by this root.
                        continue;
                    }

                    if (transit.ParentAddress is null)
                    {
                        _stats = _stats with { DaosWithoutParent = _stats.DaosWithoutParent + 1 };
                    }
                    else
                    {
                        _stats = _stats with { DaosWithParent = _stats.DaosWithParent + 1 };
                    }

                    Ipv6Address address = Normalize(target.Target.Address);
                    if (IsRoot(address))
                    {
                        continue; // A route to ourselves is meaningless (a confused or spoofing node).
                    }

                    if (transit.PathLifetime == 0)
                    {
                        if (RemoveForNoPath(address, context.Source) is { } removed)
                        {
                            left.Add(removed);
                        }

                        continue;
                    }

                    byte result = Upsert(address, transit, context, now, joined, changed);
                    if (result != RplDaoAck.StatusAccepted)
                    {
                        status = result;
                    }
                }
            }
        }

        RplRootLog.Dao(_logger, dao.Sequence, context.Source, dao.AckRequested, dao.FindOption<TransitInformationOption>()?.ParentAddress is null ? "absent" : "present", status);

        if (accepted && dao.AckRequested)
        {
            SendDaoAck(context, dao, status);
        }

        foreach (RplNodeInfo node in left)
        {
            RplRootLog.NodeLeft(_logger, node.Address, RplNodeLeftReason.NoPath);
            NodeLeft?.Invoke(this, new RplNodeLeftEventArgs(node, RplNodeLeftReason.NoPath));
        }

        foreach (RplNodeInfo node in joined)
        {
            RplRootLog.NodeJoined(_logger, node.Address, node.Parent ?? node.NextHop);
            NodeJoined?.Invoke(this, new RplNodeEventArgs(node));
        }

        foreach ((RplNodeInfo node, Ipv6Address? previous) in changed)
        {
            RplRootLog.NodeMoved(_logger, node.Address, previous, node.Parent ?? node.NextHop);
            RouteChanged?.Invoke(this, new RplNodeEventArgs(node, previous));
        }

        return accepted;
    }

    /// <summary>
    /// RFC 6550 §6.7.8: a Transit option applies to the Target options right before it; a Target
    /// after a Transit starts a new group. Only the first Transit of a group (the preferred parent)
    /// is used.
    /// </summary>
    private static List<(RplTargetOption Target, TransitInformationOption Transit)> Group(IReadOnlyList<RplOption> options)
    {
        var result = new List<(RplTargetOption, TransitInformationOption)>();
        var pending = new List<RplTargetOption>();
        bool groupHasTransit = false;
        foreach (RplOption option in options)
        {
            if (option is RplTargetOption target)
            {
                if (groupHasTransit)
                {
                    pending.Clear();
                    groupHasTransit = false;
                }

                pending.Add(target);
            }
            else if (option is TransitInformationOption transit && !groupHasTransit && pending.Count > 0)
            {
                groupHasTransit = true;
                foreach (RplTargetOption t in pending)
                {
                    result.Add((t, transit));
                }
            }
        }

        return result;
    }

    // Caller holds _gate.
    private byte Upsert(
        Ipv6Address address,
        TransitInformationOption transit,
        in RplReceiveContext context,
        DateTimeOffset now,
        List<RplNodeInfo> joined,
        List<(RplNodeInfo Node, Ipv6Address? Previous)> changed)
    {
        bool isNew = !_nodes.TryGetValue(address, out NodeState? node);
        if (isNew)
        {
            if (_nodes.Count >= _options.MaxNodes)
            {
                _stats = _stats with { DaosRejected = _stats.DaosRejected + 1 };
                return RplDaoAck.StatusNoRoom;
            }

            node = new NodeState(address, now);
        }
        else if (Lollipop.IsNewer(node!.PathSequence, transit.PathSequence))
        {
            // An older path than the one we hold (RPL-Lite always sends 0: equal means refresh).
            _stats = _stats with { DaosRejected = _stats.DaosRejected + 1 };
            return RplDaoAck.StatusAccepted;
        }

        Ipv6Address? previous;
        Ipv6Address? current;
        if (_options.Mode == RplMode.NonStoring)
        {
            Ipv6Address parent = transit.ParentAddress is { } advertised
                ? (IsRoot(advertised) || advertised.Low == _linkLocal.Low ? _options.DodagId : Normalize(advertised))
                : ParentFromSender(context.Source, address);
            previous = node!.Parent;
            node.Parent = parent;
            current = parent;
        }
        else
        {
            previous = node!.NextHop;
            node.NextHop = context.Source;
            node.Parent = transit.ParentAddress is { } advertised ? Normalize(advertised) : null;
            current = context.Source;
        }

        node.PathSequence = transit.PathSequence;
        node.PathLifetime = _options.PathLifetime(transit.PathLifetime);
        node.ExpiresAt = now + node.PathLifetime;
        node.LastDao = now;
        node.LastHeard = now;
        node.DaoCount++;
        if (isNew)
        {
            if (_heardNeighbours.Remove(address.Low, out HeardNeighbour heard))
            {
                node.Rank = heard.Rank;
            }

            _nodes[address] = node;
        }

        if (node.ExpiresAt is { } expires)
        {
            ScheduleExpiry(expires, now);
        }

        if (isNew)
        {
            joined.Add(Snapshot(node));
        }
        else if (previous != current)
        {
            changed.Add((Snapshot(node), previous));
        }

        return RplDaoAck.StatusAccepted;
    }

    // A DAO without a parent address reached a non-storing root: the sender is the best guess
    // (the target itself when it is a direct child).
    private Ipv6Address ParentFromSender(Ipv6Address sender, Ipv6Address target) =>
        sender.Low == target.Low || IsRoot(sender) ? _options.DodagId : Normalize(sender);

    // Caller holds _gate.
    private RplNodeInfo? RemoveForNoPath(Ipv6Address address, Ipv6Address sender)
    {
        _stats = _stats with { NoPathDaos = _stats.NoPathDaos + 1 };
        if (!_nodes.TryGetValue(address, out NodeState? node))
        {
            return null;
        }

        // Storing mode: only the neighbour we route through may withdraw the route; a stale No-Path
        // from an old parent must not wipe the route through the new one.
        if (_options.Mode == RplMode.Storing && node.NextHop is { } hop && hop != sender && Normalize(hop) != Normalize(sender))
        {
            return null;
        }

        RplNodeInfo snapshot = Snapshot(node);
        _nodes.Remove(address);
        return snapshot;
    }

    private void SendDaoAck(in RplReceiveContext context, RplDao dao, byte status)
    {
        // Answer from the address the DAO was sent to: DODAGID for RPL-Lite, link-local for storing-mode parents.
        Ipv6Address source = context.Destination.IsMulticast || context.Destination.IsUnspecified ? _linkLocal : context.Destination;
        var ack = new RplDaoAck
        {
            InstanceId = _options.InstanceId,
            Sequence = dao.Sequence,
            Status = status,
            DodagId = dao.DodagId,
        };
        byte[] bytes = RplMessageCodec.Encode(ack, source, context.Source);
        lock (_gate)
        {
            _stats = _stats with { DaoAcksSent = _stats.DaoAcksSent + 1 };
        }

        _sink.Send(new RplOutgoingMessage(source, context.Source, bytes));
    }
}
