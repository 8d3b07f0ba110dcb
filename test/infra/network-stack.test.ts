import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { INTERFACE_ENDPOINTS } from '../../lib/stacks/network-stack.ts';
import { logicalIds, synthPipeline } from './helpers.ts';

const dev = synthPipeline('dev');
const prod = synthPipeline('prod');

describe('NetworkStack', () => {
  it('has one NAT gateway in dev and one per AZ in prod', () => {
    dev.network.resourceCountIs('AWS::EC2::NatGateway', 1);
    prod.network.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  it('spans two AZs with public (NAT only), compute and isolated data subnets', () => {
    prod.network.resourceCountIs('AWS::EC2::Subnet', 6);
    prod.network.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true }, 0);
    prod.network.hasResourceProperties('AWS::EC2::Subnet', {
      Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-name', Value: 'Data' }]),
    });
  });

  it('always has the free S3 gateway endpoint', () => {
    for (const { network } of [dev, prod]) {
      network.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
      });
    }
  });

  it('adds private interface endpoints in prod only, where they beat NAT traffic', () => {
    dev.network.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 0);
    prod.network.resourcePropertiesCountIs(
      'AWS::EC2::VPCEndpoint',
      { VpcEndpointType: 'Interface', PrivateDnsEnabled: true },
      Object.keys(INTERFACE_ENDPOINTS).length,
    );
    const services = JSON.stringify(prod.network.findResources('AWS::EC2::VPCEndpoint'));
    for (const service of ['kinesis-streams', 'secretsmanager', 'ecr.api', 'ecr.dkr', 'logs']) {
      expect(services).toContain(`.${service}`);
    }
  });

  it('opens no port to the internet', () => {
    for (const { network } of [dev, prod]) {
      network.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { CidrIp: '0.0.0.0/0' }, 0);
      const groups = Object.values(network.findResources('AWS::EC2::SecurityGroup')) as {
        Properties: { SecurityGroupIngress?: { CidrIp?: unknown }[] };
      }[];
      const inline = groups.flatMap((g) => g.Properties.SecurityGroupIngress ?? []);
      expect(inline.filter((rule) => rule.CidrIp === '0.0.0.0/0')).toEqual([]);
    }
  });

  it('logs rejected traffic with a retention', () => {
    prod.network.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
    prod.network.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    dev.network.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    expect(logicalIds(dev.network, 'AWS::EC2::FlowLog')).toHaveLength(1);
  });
});
