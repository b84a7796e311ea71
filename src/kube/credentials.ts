/** Whether cluster credentials exist at all (input, KUBECONFIG or in-cluster). */
export function clusterConfigured(
  kubeconfig: string | undefined,
  env: NodeJS.ProcessEnv,
): boolean {
  return Boolean(
    kubeconfig?.trim() || env['KUBECONFIG'] || env['KUBERNETES_SERVICE_HOST'],
  );
}
