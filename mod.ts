/**
 * braid: a Deno-native, async-first dataflow engine. Write plain functions;
 * a function's name is the value it produces and its parameter names are the
 * values it needs. braid wires them into a DAG, checks it when it is built,
 * and runs it sequentially or concurrently, with lifecycle hooks, an event
 * stream and types that `deno check` verifies.
 *
 * @example
 * ```ts
 * import { Builder } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const features = {
 *   spend: () => [10, 20, 30],
 *   avg_spend: ({ spend }: { spend: number[] }) =>
 *     spend.reduce((a, b) => a + b, 0) / spend.length,
 * };
 *
 * const dr = await new Builder().withModules(features).withExecutor("async").build();
 * const out = await dr.execute(["avg_spend"]);
 * assert.equal(out.avg_spend, 20);
 * ```
 *
 * @module
 */
export { Builder, type ModuleInput } from "./src/builder.ts";
export {
  AsyncDriver,
  type DictResult,
  type DriverInit,
  type ExecuteOptions,
  type ExecuteResult,
  type MapOptions,
} from "./src/driver.ts";
export {
  type AnyFn,
  type CallStyle,
  type DeclaredInputs,
  inputs,
  InputsModifier,
  type InputSpec,
  isNodeDef,
  type IsVariant,
  type Modifier,
  type ModifierContext,
  type ModifierPhase,
  type NameOf,
  type NamingModifier,
  node,
  type NodeDef,
  type NodeSpec,
  type Tags,
  type TagValue,
  type VariantModifier,
} from "./src/node.ts";
export { named } from "./src/modifiers/named.ts";
export {
  type Binding,
  Group,
  group,
  Source,
  source,
  Value,
  value,
} from "./src/modifiers/_bind.ts";
export {
  type Assignments,
  parameterize,
} from "./src/modifiers/parameterize.ts";
export { inject } from "./src/modifiers/inject.ts";
export {
  extractFields,
  type ExtractOptions,
  unpackFields,
} from "./src/modifiers/extract.ts";
export { tagOutputs } from "./src/modifiers/tag_outputs.ts";
export { resolveFromConfig } from "./src/modifiers/resolve.ts";
export { describe } from "./src/modifiers/describe.ts";
export {
  parameterizedSubdag,
  subdag,
  type SubdagOptions,
} from "./src/modifiers/subdag.ts";
export {
  applyTo,
  mutate,
  MutateModifier,
  Target,
} from "./src/modifiers/mutate.ts";
export {
  type Condition,
  pipeInput,
  type PipeInputOptions,
  pipeOutput,
  type PipeOutputOptions,
  Step,
  step,
} from "./src/modifiers/pipe.ts";
export {
  cache,
  type CacheBehavior,
  type CacheDeclaration,
} from "./src/modifiers/cache.ts";
export {
  type CheckFunction,
  type CheckOptions,
  checkOutput,
  type StandardResult,
  type StandardSchemaLike,
} from "./src/modifiers/check_output.ts";
export { RESERVED_TAG_NAMESPACES, tag } from "./src/modifiers/tag.ts";
export {
  type Conditions,
  config,
  type ListConditions,
} from "./src/modifiers/config.ts";
export {
  BraidError,
  CancelledError,
  ConfigError,
  CycleError,
  DuplicateNodeError,
  HookError,
  InputError,
  InvalidNodeError,
  type MissingInput,
  MissingInputError,
  NodeExecutionError,
  ValidationError,
  WorkerError,
} from "./src/errors.ts";
export type { Runner, RunnerInit } from "./src/runner.ts";
export {
  type Plan,
  type PlanNode,
  type Seed,
  type SeedSource,
  UnknownNodeError,
} from "./src/plan.ts";
export type { Graph, NodeInfo, TagFilter } from "./src/graph.ts";
export type { HookName, Hooks } from "./src/hooks.ts";
export type {
  Adapter,
  AfterGraphExecutionEvent,
  AfterNodeExecutionEvent,
  BeforeGraphExecutionEvent,
  BeforeNodeExecutionEvent,
  BuildResultEvent,
  MaybePromise,
  NodeLogEvent,
  ValidationVerdict,
} from "./src/hooks.ts";
export type {
  EventBase,
  ExecutionEvent,
  NodeEventBase,
  NodeFailedEvent,
  NodeLogStreamEvent,
  NodeSkippedEvent,
  NodeStartedEvent,
  NodeSucceededEvent,
  RunFinishedEvent,
  RunStartedEvent,
  SkipReason,
} from "./src/events.ts";
export type { NodeResult, NodeStatus, RunResult } from "./src/results.ts";
export type { NodeCall, Run, RunContext, RunInit } from "./src/run.ts";
export type {
  Executor,
  ExecutorKind,
  ExecutorOptions,
} from "./src/executors/executor.ts";
export type { WorkerPoolOptions } from "./src/executors/pool.ts";
export type {
  MapExecutor,
  MapExecutorKind,
} from "./src/executors/map_executors.ts";
export type { ItemOptions, ItemRunner } from "./src/map.ts";
export type { MapMode } from "./src/map.ts";
export type { DotOptions } from "./src/dot.ts";
export type {
  ExecutionPlan,
  ExportedInput,
  ExportedNode,
} from "./src/export.ts";
export type {
  BuiltIn,
  Checked,
  ExportNodeName,
  FirstParam,
  LiteralNodeName,
  MergeModules,
  Mismatches,
  ModuleType,
  NodeExports,
  NodeName,
  NodeValue,
  Outputs,
  ParamObject,
  ResultOf,
  ValueOf,
  VariantBase,
} from "./src/types.ts";
