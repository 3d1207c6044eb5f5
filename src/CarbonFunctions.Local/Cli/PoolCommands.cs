using System.CommandLine;
using System.Globalization;
using CarbonFunctions.Core.Pools;
using CarbonFunctions.Handlers.Hosting;
using CarbonFunctions.Handlers.Lifecycle;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace CarbonFunctions.Local.Cli;

/// <summary><c>carbonctl pools list</c>: what is running (and billing) right now, per provider.</summary>
public static class PoolCommands
{
    public static Command Create(Option<string?> connection)
    {
        var pools = new Command("pools", "Inspect accelerator pools");
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var all = new Option<bool>("--all") { Description = "Also pools with no node running (paused, starting)" };
        var list = new Command("list", "List the pools the configured providers report (simulated ones under the local defaults)") { json, all };
        list.SetAction(async (parse, cancellationToken) =>
        {
            var settings = CliSettings.Load();
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(LocalSettings.Defaults(CliSettings.ResolveConnection(parse.GetValue(connection), settings)))
                .AddConfiguration(settings)
                .Build();
            await using var services = new ServiceCollection().AddCarbonPipeline(configuration).BuildServiceProvider();
            var rows = new List<(string Provider, PoolStatus Pool)>();
            foreach (var provider in services.GetRequiredService<PoolProviders>().All)
            {
                foreach (var pool in await provider.ListActiveAsync(cancellationToken))
                {
                    if (parse.GetValue(all) || pool.RunningNodes > 0)
                    {
                        rows.Add((provider.Name, pool));
                    }
                }
            }

            if (parse.GetValue(json))
            {
                Output.Json(rows.Select(r => new { provider = r.Provider, r.Pool.PoolId, state = r.Pool.State, r.Pool.RunningNodes, r.Pool.RequestedNodes, r.Pool.Region, r.Pool.NodeSize, r.Pool.Detail }));
                return Output.Ok;
            }

            var table = new Table().AddColumns("Provider", "Pool", "State", "Running", "Requested", "Region", "Size");
            foreach (var (provider, pool) in rows.OrderBy(r => r.Pool.PoolId, StringComparer.Ordinal))
            {
                table.AddRow(provider, Markup.Escape(pool.PoolId), pool.State.ToString(), pool.RunningNodes.ToString(CultureInfo.InvariantCulture), pool.RequestedNodes.ToString(CultureInfo.InvariantCulture), pool.Region ?? "-", pool.NodeSize ?? "-");
            }

            Output.Table(table);
            Output.Note($"{rows.Sum(r => r.Pool.RunningNodes)} node(s) running in {rows.Count(r => r.Pool.RunningNodes > 0)} pool(s).");
            return Output.Ok;
        });
        pools.Subcommands.Add(list);
        return pools;
    }
}
