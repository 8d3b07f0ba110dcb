/**
 * The VPC every piece of compute runs in: public subnets hold only the NAT gateways (no ingress),
 * compute runs in private subnets with egress (Binance is on the internet), data stores sit in
 * isolated subnets. Gateway endpoint for S3 always (free); interface endpoints where the config says
 * their hourly price beats the NAT traffic they save.
 */
import { Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-config.ts';

/** Subnet group names: a contract with the stacks that place resources in them. */
export const SUBNETS = {
  public: 'Public',
  compute: 'Compute',
  data: 'Data',
} as const;

/** The interface endpoints, by the traffic they keep off NAT. */
export const INTERFACE_ENDPOINTS = {
  Kinesis: InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
  SecretsManager: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  EcrApi: InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Logs: InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
} as const;

export interface NetworkStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

export class NetworkStack extends Stack {
  public readonly vpc: Vpc;
  /** Attach to every Lambda and task that talks to Redis: the data stack allows it in. */
  public readonly computeSecurityGroup: SecurityGroup;

  public constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { network } = props.config;

    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: network.maxAzs,
      natGateways: network.natGateways,
      subnetConfiguration: [
        { name: SUBNETS.public, subnetType: SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: SUBNETS.compute, subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: SUBNETS.data, subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      restrictDefaultSecurityGroup: false,
      gatewayEndpoints: { S3: { service: GatewayVpcEndpointAwsService.S3 } },
    });

    const flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: network.flowLogRetention,
      removalPolicy: props.config.removalPolicy,
    });
    // Rejected traffic only: what an investigation needs, at a fraction of the volume of ALL.
    this.vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: FlowLogTrafficType.REJECT,
    });

    this.computeSecurityGroup = new SecurityGroup(this, 'ComputeSecurityGroup', {
      vpc: this.vpc,
      description: 'Pipeline Lambdas and Fargate tasks: no ingress, egress to AWS APIs, Binance and Redis.',
      allowAllOutbound: true,
    });

    if (network.interfaceEndpoints) {
      for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
        const endpoint = this.vpc.addInterfaceEndpoint(name, {
          service,
          subnets: { subnetGroupName: SUBNETS.compute },
          privateDnsEnabled: true,
          // HTTPS from the VPC's own CIDR: compute, Batch jobs and the secret-rotation Lambda.
          open: true,
        });
        for (const sg of endpoint.connections.securityGroups) {
          Validations.of(sg).acknowledge({
            id: 'AwsSolutions-EC23',
            reason:
              'Ingress is 443 from the VPC CIDR only (a token cdk-nag cannot resolve), not from 0.0.0.0/0.',
          });
        }
      }
    }
  }
}
